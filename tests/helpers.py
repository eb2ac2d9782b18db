"""Small helpers shared by the API tests."""

import json
import threading
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


def unique(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


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
