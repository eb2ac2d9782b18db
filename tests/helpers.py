"""Constants and small helpers shared by the tests."""

import io
import json
import threading
import time
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

IMAGES = "/api/glance/images/"


def browser_login(base_url, username, password):
    """Log in as a browser does, over HTTP: fetch the CSRF cookie, then POST the
    login as XHR. Returns (requests session holding the cookies, the headers a
    browser's next calls send). The login's answer is checked by the caller."""
    import requests

    http = requests.Session()
    http.get(base_url + "/api/auth/session/", timeout=30)
    headers = {"X-Requested-With": "XMLHttpRequest", "X-CSRFToken": http.cookies["csrftoken"]}
    answer = http.post(base_url + "/api/auth/login/", headers=headers, timeout=30,
                       json={"username": username, "password": password})
    # Django rotates the CSRF token at login.
    headers["X-CSRFToken"] = http.cookies.get("csrftoken", headers["X-CSRFToken"])
    return http, headers, answer


def wait_for_status(glance, image_id, status="active", timeout=60, until=None):
    """The image as Glance holds it once it reaches ``status`` (and ``until(image)``
    holds, if given); asserts that it happens in time."""
    deadline = time.monotonic() + timeout
    while True:
        image = glance.images.get(image_id)
        if image.status == status and (until is None or until(image)):
            return image
        assert time.monotonic() < deadline, f"{image_id} is {image.status}, not {status}"
        time.sleep(0.3)


def unique(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_image(stack, user="demo", data=None, **attrs):
    """A raw/bare image of ``user``'s, made directly in Glance, with ``data``
    uploaded if given; its id."""
    glance = stack.glance(user)
    attrs.setdefault("name", unique())
    attrs.setdefault("disk_format", "raw")
    attrs.setdefault("container_format", "bare")
    image = glance.images.create(**attrs)
    if data is not None:
        glance.images.upload(image.id, io.BytesIO(data))
    return image.id


def put_json(client, url, body, **extra):
    return client.put(url, json.dumps(body), content_type="application/json", **extra)


def patch_json(client, url, body, **extra):
    return client.patch(url, json.dumps(body), content_type="application/json", **extra)


class FileServer:
    """A loopback HTTP server over a folder, for Glance's web-download."""

    def __init__(self, folder, port):
        handler = lambda *a, **kw: _Quiet(*a, directory=str(folder), **kw)  # noqa: E731
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def url(self, name):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
