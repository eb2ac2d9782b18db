"""uploads.MultipartStream: a multipart body read part by part as it arrives,
with whichever multipart is installed: 2.x in make test, Debian 13's 1.2.1 in
make test-floors (floors.txt). A body the parser refuses is the caller's 400,
never a 500."""

import io
import os

import multipart
import pytest
from django.test import RequestFactory
from hypothesis import given, settings, strategies

from glance_rest import uploads
from glance_rest.errors import ApiError

BOUNDARY = "b0undary"
CHUNK = uploads.CHUNK_SIZE
# Data that looks like the start of a delimiter, at a chunk's edge.
NEAR_MISS = b"\r\n--" + BOUNDARY[:-1].encode()


def part(name, value, filename=None):
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"


def body(*parts):
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def request_for(data, chunked=False):
    request = RequestFactory().generic("POST", "/api/glance/images/", data,
                                       content_type=f"multipart/form-data; boundary={BOUNDARY}")
    if chunked:
        # As gunicorn hands a chunked body on: no Content-Length, an input
        # that ends where the body does.
        del request.META["CONTENT_LENGTH"]
        request.environ["wsgi.input"] = io.BytesIO(data)
    return request


def parts_of(request):
    """[(name, filename, bytes)] of each file part, and the fields."""
    stream = uploads.MultipartStream(request)
    files = [(name, filename, b"".join(chunks)) for name, filename, chunks in stream.files()]
    return files, stream.fields


def test_the_multipart_in_use_is_named():
    """The two tiers' headers say which parser ran (floors: 1.2.1)."""
    assert multipart.__version__


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_fields_and_a_file_part_arrive_whole_and_in_order(chunked):
    data = (os.urandom(CHUNK - len(NEAR_MISS) // 2) + NEAR_MISS + os.urandom(2 * CHUNK)
            + NEAR_MISS)
    request = request_for(body(part("name", "ünï".encode()),
                               part("data", data, filename="disk.raw"),
                               part("disk_format", b"raw")), chunked)
    files, fields = parts_of(request)
    assert files == [("data", "disk.raw", data)]
    assert fields == {"name": "ünï", "disk_format": "raw"}


def test_file_bytes_are_handed_on_as_they_arrive():
    """Bounded memory: each chunk of the file is bytes of about CHUNK_SIZE, and
    the first is handed on before more than two reads of the body."""
    data = os.urandom(8 * CHUNK)
    request = request_for(body(part("data", data, filename="disk.raw")))
    read, taken = request.read, []

    def counting(size):
        chunk = read(size)
        taken.append(len(chunk))
        return chunk
    request.read = counting
    _, _, chunks = next(uploads.MultipartStream(request).files())
    first = next(chunks)
    assert sum(taken) <= 2 * CHUNK
    sizes = [len(first)] + [len(chunk) for chunk in chunks]
    assert sum(sizes) == len(data)
    assert max(sizes) <= CHUNK + 64
    assert type(first) is bytes


@pytest.mark.parametrize("cut", [30, 120, 3 * CHUNK], ids=["in-headers", "in-data", "before-end"])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_that_ends_early_is_400(cut, chunked):
    whole = body(part("name", b"n"), part("data", os.urandom(3 * CHUNK + 100), filename="d"))
    with pytest.raises(ApiError) as raised:
        parts_of(request_for(whole[:cut], chunked))
    assert raised.value.status == 400
    assert "malformed or incomplete" in raised.value.message


def test_more_than_a_thousand_parts_is_400():
    many = body(*(part(f"f{i}", b"x") for i in range(1001)))
    with pytest.raises(ApiError) as raised:
        parts_of(request_for(many))
    assert raised.value.status == 400


@pytest.mark.parametrize("broken", [
    b"no boundary anywhere",
    f"--{BOUNDARY}\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
    f"--{BOUNDARY}\r\nX-Long: {'y' * 5000}\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
    f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\xff\r\n\r\nx\r\n".encode("latin-1"),
], ids=["no-boundary", "bare-newline", "long-header", "no-disposition", "not-utf8"])
def test_a_malformed_body_is_400(broken):
    with pytest.raises(ApiError) as raised:
        parts_of(request_for(broken))
    assert raised.value.status == 400


# Bodies built from the pieces a multipart body is made of, shuffled.
PIECES = strategies.sampled_from([
    f"--{BOUNDARY}".encode(), f"--{BOUNDARY}--".encode(), b"\r\n", b"\n", b"\r", b"--", b":",
    b'Content-Disposition: form-data; name="data"; filename="f"', b"Content-Length: 3",
    b'Content-Disposition: form-data; name="n"', b"Content-Type: x/y; charset=z",
    b" folded", b"\xff\xfe", b"x" * 70])


@settings(max_examples=300, deadline=None)
@given(strategies.lists(PIECES, max_size=30))
def test_any_body_is_parsed_or_refused_as_400(pieces):
    try:
        parts_of(request_for(b"".join(pieces)))
    except ApiError as exc:
        assert exc.status == 400
