"""Constants and small helpers shared by the tests."""

import io
import json
import threading
import time
import urllib.parse
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from glanceclient import exc as glance_exc

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


class LoopbackServer:
    """An HTTP server on 127.0.0.1 in a thread, for the length of a ``with``."""

    def __init__(self, handler, port=0):
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FileServer(LoopbackServer):
    """A loopback HTTP server over a folder, for Glance's web-download."""

    def __init__(self, folder, port):
        super().__init__(lambda *a, **kw: _Quiet(*a, directory=str(folder), **kw), port)

    def url(self, name):
        return f"{self.base_url}/{name}"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class LoadBalancer(LoopbackServer):
    """A loopback HTTP proxy in front of ``target`` (a base URL), as a load
    balancer with sticky sessions: it forwards every request, sets a cookie
    on every answer, and records each request's (method, path, Cookie
    header). ``refuse`` maps (method, path) to a status it answers itself."""

    def __init__(self, target, refuse=None):
        import http.server

        import requests

        self.seen = []
        refused = refuse or {}
        upstream = requests.Session()
        upstream.trust_env = False
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                seen.append((self.command, self.path, self.headers.get("Cookie")))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = refused.get((self.command, self.path.split("?")[0]))
                if status:
                    self.answer(status, {"Content-Type": "text/plain"}, b"refused by the proxy")
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "cookie")}
                got = upstream.request(self.command, target + self.path, headers=headers,
                                       data=body or None, allow_redirects=False, timeout=60)
                kept = {k: v for k, v in got.headers.items() if k.lower() not in (
                    "connection", "transfer-encoding", "content-encoding", "content-length")}
                self.answer(got.status_code, kept, got.content)

            def answer(self, status, headers, content):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Set-Cookie", f"lb=node-{len(seen)}; Path=/")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

            def log_message(self, *args):
                pass

        super().__init__(Handler)
        self.url = self.base_url

    def cookies(self):
        """The Cookie header of each request, in order (None: none sent)."""
        return [cookie for _method, _path, cookie in self.seen]


def in_glance(glance, namespace):
    """The namespace as Glance shows ``glance``'s user (None: Glance has none)."""
    try:
        return glance.http_client.get(
            "/v2/metadefs/namespaces/" + urllib.parse.quote(namespace, safe=""))[1]
    except glance_exc.HTTPNotFound:
        return None


def remove_from_glance(glance, namespace):
    """Clean-up, directly in Glance, of whatever a failed test left."""
    if in_glance(glance, namespace) is not None:
        glance.metadefs_namespace.update(namespace, protected=False)
        glance.metadefs_namespace.delete(namespace)
