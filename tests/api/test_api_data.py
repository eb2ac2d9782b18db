"""Image bytes through the API under gunicorn: streamed both ways, failures
that leave nothing half-made, import progress."""

import hashlib
import http.client
import json
import os
import socket
import time
import uuid

import pytest
import requests

from tests.helpers import FileServer, unique

pytestmark = [pytest.mark.stack, pytest.mark.slow]
MB = 1024 * 1024
SIZE = 50 * MB


@pytest.fixture(scope="module")
def payload():
    data = os.urandom(SIZE)
    return data, hashlib.sha512(data).hexdigest()


def chunks(data, size=MB):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def multipart_body(fields, data, boundary):
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="data"; '
             f'filename="disk.raw"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail


class SizedStream:
    """An iterable body of known length: requests sends it with Content-Length."""

    def __init__(self, *parts):
        self.parts = parts

    def __len__(self):
        return sum(len(p) for p in self.parts)

    def __iter__(self):
        for part in self.parts:
            yield from chunks(part)


def stream_multipart(url, token, fields, data):
    boundary = uuid.uuid4().hex
    head, tail = multipart_body(fields, data, boundary)
    return requests.post(url, data=SizedStream(head, data, tail), timeout=300, headers={
        "X-Auth-Token": token, "Content-Type": f"multipart/form-data; boundary={boundary}"})


def download(api_server, token, image_id):
    answer = requests.get(f"{api_server.url}/api/glance/images/{image_id}/data/",
                          headers={"X-Auth-Token": token}, stream=True, timeout=300)
    digest = hashlib.sha512()
    for chunk in answer.iter_content(MB):
        digest.update(chunk)
    return answer, digest.hexdigest()


def test_multipart_upload_and_download_50mb(api_server, tokens, stack, payload):
    data, sha512 = payload
    name = unique("mp") + " ünï \"quoted\".raw"
    answer = stream_multipart(f"{api_server.url}/api/glance/images/", tokens("demo"),
                              {"name": name, "disk_format": "raw"}, data)
    assert answer.status_code == 201, answer.text
    image = answer.json()
    assert image["status"] == "active" and image["size"] == SIZE
    assert image["os_hash_value"] == sha512
    assert stack.glance("demo").images.get(image["id"]).os_hash_value == sha512

    back, digest = download(api_server, tokens("demo"), image["id"])
    assert back.status_code == 200 and digest == sha512
    assert back.headers["Content-Length"] == str(SIZE)
    assert back.headers["Content-Type"] == "application/octet-stream"
    assert back.headers["X-Image-Hash-Value"] == sha512
    assert back.headers["X-Image-Hash-Algo"] == "sha512"
    assert "filename*=utf-8''" in back.headers["Content-Disposition"]
    assert not list(api_server.tmpdir.iterdir())  # nothing spooled to disk


@pytest.mark.parametrize("chunked", [False, True])
def test_raw_upload_50mb(api_server, tokens, stack, payload, chunked):
    data, sha512 = payload
    image_id = stack.glance("demo").images.create(name=unique("raw"), disk_format="raw",
                                                  container_format="bare").id
    headers = {"X-Auth-Token": tokens("demo"), "Content-Type": "application/octet-stream"}
    body = chunks(data) if chunked else SizedStream(data)
    answer = requests.put(f"{api_server.url}/api/glance/images/{image_id}/data/", data=body,
                          headers=headers, timeout=300)
    assert answer.status_code == 204, answer.text
    stored = stack.glance("demo").images.get(image_id)
    assert stored.status == "active" and stored.os_hash_value == sha512
    _, digest = download(api_server, tokens("demo"), image_id)
    assert digest == sha512


def test_curl_upload_file_style(api_server, tokens, stack, tmp_path):
    """curl -T disk.raw .../data/ sends to .../data/disk.raw: accepted."""
    import subprocess

    image_id = stack.glance("demo").images.create(name=unique(), disk_format="raw",
                                                  container_format="bare").id
    disk = tmp_path / "disk.raw"
    disk.write_bytes(os.urandom(MB))
    done = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-T", str(disk),
         "-H", f"X-Auth-Token: {tokens('demo')}", "-H", "Content-Type: application/octet-stream",
         f"{api_server.url}/api/glance/images/{image_id}/data/"],
        capture_output=True, text=True, timeout=60)
    assert done.stdout == "204"
    stored = stack.glance("demo").images.get(image_id)
    assert stored.os_hash_value == hashlib.sha512(disk.read_bytes()).hexdigest()


def test_download_of_image_without_data(api_server, tokens, stack):
    image_id = stack.glance("demo").images.create(name=unique(), disk_format="raw",
                                                  container_format="bare").id
    answer = requests.get(f"{api_server.url}/api/glance/images/{image_id}/data/",
                          headers={"X-Auth-Token": tokens("demo")}, timeout=30)
    assert answer.status_code == 204
    missing = requests.get(f"{api_server.url}/api/glance/images/{uuid.uuid4()}/data/",
                           headers={"X-Auth-Token": tokens("demo")}, timeout=30)
    assert missing.status_code == 404 and missing.json()["error"]["message"]


def send_partially(api_server, path, headers, first_bytes, until):
    """Send a request's headers and the start of its body; once ``until()``
    holds (the upload has reached Glance), hang up."""
    with socket.create_connection(("127.0.0.1", api_server.port)) as sock:
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head = f"{path}\r\nHost: 127.0.0.1\r\n" + lines
        sock.sendall(head.encode() + b"\r\n" + first_bytes)
        assert wait_for(until), "the upload never reached Glance"


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_aborted_multipart_upload_leaves_nothing(api_server, tokens, stack):
    name = unique("aborted")
    boundary = uuid.uuid4().hex
    head, tail = multipart_body({"name": name, "disk_format": "raw"}, b"", boundary)
    glance = stack.glance("demo")

    def saving():
        return [image.status for image in glance.images.list(filters={"name": name})] == ["saving"]
    send_partially(api_server, "POST /api/glance/images/ HTTP/1.1", {
        "X-Auth-Token": tokens("demo"), "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + 20 * MB + len(tail))}, head + os.urandom(3 * MB),
        until=saving)
    # Documented behaviour: the half-uploaded image is deleted.
    assert wait_for(lambda: not list(glance.images.list(filters={"name": name})))
    assert not list(api_server.tmpdir.iterdir())
    # The server still serves uploads.
    ok = requests.put(f"{api_server.url}/api/glance/images/", timeout=30, json={
        "name": unique(), "disk_format": "raw"}, headers={"X-Auth-Token": tokens("demo")})
    assert ok.status_code == 201


def test_an_image_is_listed_once_its_name_is_in(api_server, tokens, stack):
    """Horizon's client sends the name after the file. Until it is in, the
    image is hidden from lists: Horizon's table, polling mid-upload, would
    show a nameless row and keep it after the name arrives."""
    name = unique("named-late")
    boundary = uuid.uuid4().hex
    head, _ = multipart_body({}, b"", boundary)
    tail = (f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
            f"{name}\r\n--{boundary}--\r\n").encode()
    data = os.urandom(6 * MB)
    glance = stack.glance("demo")
    headers = {"X-Auth-Token": tokens("demo")}

    def hidden_and_saving():
        return [image.id for image in glance.images.list(
            filters={"os_hidden": True, "status": "saving"})]
    connection = http.client.HTTPConnection("127.0.0.1", api_server.port, timeout=120)
    connection.putrequest("POST", "/api/glance/images/")
    connection.putheader("X-Auth-Token", headers["X-Auth-Token"])
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + len(data) + len(tail)))
    connection.endheaders()
    connection.send(head + data[:3 * MB])
    try:
        assert wait_for(lambda: len(hidden_and_saving()) == 1), "no hidden image mid-upload in Glance"
        [image_id] = hidden_and_saving()
        saving = requests.get(f"{api_server.url}/api/glance/images/?status=saving",
                              headers=headers, timeout=30)
        assert saving.status_code == 200
        assert image_id not in [image["id"] for image in saving.json()["items"]]
        connection.send(data[3 * MB:] + tail)
        answer = connection.getresponse()
        body = json.loads(answer.read())
    finally:
        connection.close()
    assert answer.status == 201, body
    assert (body["id"], body["name"], body["status"]) == (image_id, name, "active")
    assert body["os_hidden"] is False
    listed = requests.get(f"{api_server.url}/api/glance/images/?name={name}",
                          headers=headers, timeout=30)
    assert [image["id"] for image in listed.json()["items"]] == [image_id]


def test_aborted_raw_upload_leaves_image_queued(api_server, tokens, stack):
    glance = stack.glance("demo")
    image_id = glance.images.create(name=unique(), disk_format="raw", container_format="bare").id
    send_partially(api_server, f"PUT /api/glance/images/{image_id}/data/ HTTP/1.1", {
        "X-Auth-Token": tokens("demo"), "Content-Type": "application/octet-stream",
        "Content-Length": str(20 * MB)}, os.urandom(3 * MB),
        until=lambda: glance.images.get(image_id).status == "saving")
    assert wait_for(lambda: glance.images.get(image_id).status == "queued"
                    and not glance.images.get(image_id).size)
    assert not list(api_server.tmpdir.iterdir())


@pytest.mark.parametrize("path, content_type", [
    ("/api/glance/images/", "multipart/form-data; boundary=x"),
    ("/api/glance/images/00000000-0000-0000-0000-000000000000/data/", "application/octet-stream"),
])
def test_oversized_content_length_is_413_before_reading(api_server, tokens, path, content_type):
    method = "POST" if path.endswith("images/") else "PUT"
    with socket.create_connection(("127.0.0.1", api_server.port)) as sock:
        sock.sendall((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"X-Auth-Token: {tokens('demo')}\r\nContent-Type: {content_type}\r\n"
                      f"Content-Length: {300 * MB}\r\nConnection: close\r\n\r\n").encode())
        sock.settimeout(30)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_import_progress_and_failure_visible(api_server, tokens, stack, tmp_path):
    payload = os.urandom(2 * MB)
    (tmp_path / "ok.raw").write_bytes(payload)
    headers = {"X-Auth-Token": tokens("demo")}
    with FileServer(tmp_path, stack.import_port) as server:
        good = requests.put(f"{api_server.url}/api/glance/images/", headers=headers, timeout=30,
                            json={"name": unique(), "disk_format": "raw", "source_type": "url",
                                  "image_url": server.url("ok.raw"), "import_data": True}).json()
        bad = requests.put(f"{api_server.url}/api/glance/images/", headers=headers, timeout=30,
                           json={"name": unique(), "disk_format": "raw", "source_type": "url",
                                 "image_url": server.url("missing.raw"), "import_data": True})
        assert bad.status_code == 201
        bad = bad.json()

        def state(image_id):
            return requests.get(f"{api_server.url}/api/glance/images/{image_id}/",
                                headers=headers, timeout=30).json()
        assert wait_for(lambda: state(good["id"])["status"] == "active", 60)
        assert state(good["id"])["os_hash_value"] == hashlib.sha512(payload).hexdigest()
        assert wait_for(lambda: (state(bad["id"]).get("import") or {}).get("status") == "failure",
                        60)
    failed = state(bad["id"])
    assert failed["status"] == "queued"
    assert failed["import"]["message"]
