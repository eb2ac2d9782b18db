"""gunicorn's threaded worker, answering the requests it refuses itself in
JSON like the rest of the API.

gunicorn refuses a request line or headers over its limits before Django sees
the request, with an HTML page. Serve with
``--worker-class glance_rest.gunicorn_worker.ThreadWorker`` (``make run`` does).
"""

import json

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker

from .errors import ApiError

REFUSED = {
    LimitRequestLine: (414, "URI Too Long",
                       "The request line (URL and query) is too long; send fewer filters."),
    LimitRequestHeaders: (431, "Request Header Fields Too Large",
                          "The request headers are too large."),
}


class ThreadWorker(GunicornThreadWorker):
    def handle_error(self, req, client, addr, exc):
        refused = next((v for k, v in REFUSED.items() if isinstance(exc, k)), None)
        if refused is None:
            return super().handle_error(req, client, addr, exc)
        status, reason, message = refused
        self.log.warning("Refused a request from %s: %s", (addr or ("-",))[0], exc)
        body = json.dumps(ApiError(status, message).as_dict()).encode()
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        try:
            util.write_nonblock(client, head.encode("latin-1") + body)
        except OSError:
            self.log.debug("Failed to send the error response.")
