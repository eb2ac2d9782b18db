"""Image bytes through the API without holding them: request bodies are read
in fixed-size chunks and handed on to Glance as they arrive, and downloads
are passed back the same way. Nothing is written to a temporary file.
"""

import itertools

from django.core.files.uploadhandler import FileUploadHandler
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from multipart import MultipartError, PushMultipartParser
from oslo_utils.imageutils import format_inspector

from .conf import settings
from .errors import ApiError, BadInput

CHUNK_SIZE = 256 * 1024


class LeaveBodyUnread(FileUploadHandler):
    """Django upload handler that parses nothing (``handle_raw_input``
    returning empty POST and FILES), so that a multipart body is left for the
    view to stream after authentication. The CSRF check, which reads
    ``request.POST``, then finds the token in X-CSRFToken only."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        return QueryDict(encoding=encoding), MultiValueDict()

    def receive_data_chunk(self, raw_data, start):  # pragma: no cover - never called
        return raw_data

    def file_complete(self, file_size):  # pragma: no cover - never called
        return None


def declared_length(request):
    """The body's Content-Length, or None when it is sent chunked."""
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return None
    try:
        length = int(raw)
    except ValueError:
        raise ApiError(400, "Content-Length is not a number.") from None
    if length < 0:
        raise ApiError(400, "Content-Length is negative.")
    return length


def check_size(request):
    """413 at once when the declared size is over IMAGE_UPLOAD_MAX_SIZE."""
    length = declared_length(request)
    limit = settings.IMAGE_UPLOAD_MAX_SIZE
    if limit and length is not None and length > limit:
        raise ApiError(413, f"The upload is {length} bytes; the limit is {limit}.")
    return length


def body_reader(request):
    """A ``read(n)`` over the request body, Content-Length or chunked."""
    if declared_length(request) is None:
        # Django reads nothing without Content-Length; the WSGI server's
        # input decodes a chunked body and ends at its end.
        return request.environ["wsgi.input"].read
    return request.read


def checked_chunks(chunks, expected=None):
    """The byte chunks of an upload as they come, stopped at
    IMAGE_UPLOAD_MAX_SIZE and, with ``expected``, at a body that ends short."""
    received = 0
    limit = settings.IMAGE_UPLOAD_MAX_SIZE
    for chunk in chunks:
        received += len(chunk)
        if limit and received > limit:
            raise ApiError(413, f"The upload is over the limit of {limit} bytes.")
        yield bytes(chunk)
    if expected is not None and received != expected:
        # Raised inside the upload to Glance: it aborts, and Glance puts the
        # image back to queued without the partial data.
        raise ApiError(400, f"The body ended after {received} of {expected} bytes.")


def raw_chunks(request):
    read = body_reader(request)
    while True:
        chunk = read(CHUNK_SIZE)
        if not chunk:
            return
        yield chunk


class MultipartStream:
    """The parts of a multipart/form-data body, in order, read as they come.

    Form fields are collected (their total bounded by
    DATA_UPLOAD_MAX_MEMORY_SIZE); a file part is offered as a chunk iterator
    that must be consumed (or skipped) before the next part is read.
    """

    def __init__(self, request):
        boundary = request.content_params.get("boundary")
        if not boundary:
            raise ApiError(400, "The multipart body has no boundary.")
        length = declared_length(request)
        self._parser = PushMultipartParser(boundary,
                                           content_length=-1 if length is None else length,
                                           max_segment_count=1000)
        self._events = self._parse(body_reader(request))
        self.fields = {}
        self._field_bytes = 0

    def _parse(self, read):
        """The parser's events, one read at a time. ``parse`` is in multipart
        1.2 (Debian 13's) and 2.x alike; ``parse_blocking`` only since 1.3.
        The body's own end stops the reads (Django bounds them by
        Content-Length); an empty chunk then checks the stream is complete."""
        while True:
            chunk = read(CHUNK_SIZE)
            yield from self._parser.parse(chunk)
            if not chunk:
                return

    def files(self):
        """Yield (field name, file name, chunk iterator) for each file part."""
        try:
            for event in self._events:
                if event is None:
                    continue
                if event.filename is None:
                    self._read_field(event.name)
                else:
                    yield event.name, event.filename, self._file_chunks()
        except MultipartError as exc:
            raise ApiError(400, f"The multipart body is malformed or incomplete: {exc}") from None

    def _read_field(self, name):
        value = bytearray()
        for event in self._events:
            if event is None:
                break
            value += event
            self._field_bytes += len(event)
            if self._field_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                raise ApiError(413, "The form fields are too large.")
        if name in self.fields:
            raise BadInput(name, "is given more than once")
        try:
            self.fields[name] = value.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput(name, "is not UTF-8 text") from None

    def _file_chunks(self):
        try:
            for event in self._events:
                if event is None:
                    return
                # multipart 1.2 hands out bytearray slices, 2.x bytes.
                yield bytes(event)
        except MultipartError as exc:
            raise ApiError(400, f"The multipart body is malformed or incomplete: {exc}") from None

    @staticmethod
    def skip(chunks):
        for _ in chunks:
            pass


# How much of an upload may be held to recognise its disk format.
SNIFF_LIMIT = 8 * 1024 * 1024
# What the inspectors call a format, in Glance's disk_format names.
GLANCE_FORMAT_NAMES = {"gpt": "raw"}


class ChunkReader:
    """A file-like ``read`` over an iterator of chunks, for what wants one (the
    format inspector, glanceclient's upload): each read is the next chunk,
    whatever size is asked for, so nothing is re-buffered."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)

    def read(self, size=-1):
        return next(self._chunks, b"")


def detect_format(chunks):
    """Recognise the disk format from the start of the data, as Glance's own
    format inspection does. Returns (chunks, including what was read, format).
    Reads at most SNIFF_LIMIT bytes before deciding."""
    chunks = iter(chunks)
    inspector = format_inspector.InspectWrapper(ChunkReader(chunks))
    head, size = [], 0
    try:
        while size < SNIFF_LIMIT:
            chunk = inspector.read(CHUNK_SIZE)
            if not chunk:
                inspector.close()
                break
            head.append(chunk)
            size += len(chunk)
            if inspector.format is not None:
                break
        found = inspector.format
    except format_inspector.ImageFormatError as exc:
        raise BadInput("data", f"its disk format is ambiguous ({exc}); send disk_format "
                               "before the data part") from None
    name = str(found) if found is not None else "raw"
    return itertools.chain(head, chunks), GLANCE_FORMAT_NAMES.get(name, name)
