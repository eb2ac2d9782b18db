"""A fake Glance transport for the wrapper's unit tests: a requests adapter
(requests' own transport API) mounted on the API's Glance session, answering
from a table of canned answers and recording what was asked. Everything above
the transport (glanceclient, keystoneauth1, the response hook) is the real code.
Error answers are Glance's own (``glance_error``): its messages, taken from its
source, in the page webob makes of them."""

import html
import io
import json
import urllib.parse

import requests

from glance_rest import backend
from glance_rest.glance import Glance

ENDPOINT = "http://fake-glance.test"

# webob's titles and default explanations (webob/exc.py, 1.8, as Glance 33 runs it).
TITLES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 410: "Gone", 416: "Request Range Not Satisfiable",
          500: "Internal Server Error"}
EXPLANATIONS = {
    404: "The resource could not be found.",
    409: "There was a conflict when trying to complete your request.",
    500: "The server has either erred or is incapable of performing\r\n"
         "the requested operation.\r\n",
}


def glance_error(status, explanation=None, detail=""):
    """(status, body, headers) of an error as Glance sends it to this API.

    Glance raises ``webob.exc.HTTP*(explanation=..., detail)`` and webob
    renders it; for the ``Accept: */*`` that requests sends, webob picks
    text/html (WSGIHTTPException.generate_response), with its
    body_template_obj inside html_template_obj, both HTML-escaped. A
    positional argument of a webob exception is ``detail``, and the
    class's explanation then stays (HTTPConflict("Property x does not exist.")).
    """
    if explanation is None:
        explanation = EXPLANATIONS[status]
    status_line = f"{status} {TITLES[status]}"
    body = f"{html.escape(explanation)}<br /><br />\n{html.escape(detail)}\n\n"
    page = (f"<html>\n <head>\n  <title>{status_line}</title>\n </head>\n <body>\n"
            f"  <h1>{status_line}</h1>\n  {body}\n </body>\n</html>")
    return status, page.encode(), {"Content-Type": "text/html; charset=UTF-8"}


class FakeGlance(requests.adapters.BaseAdapter):
    def __init__(self):
        super().__init__()
        self.answers = {}  # (method, path): [answer, ...], the last one repeats
        self.requests = []  # (method, path with query, decoded body or None)

    def answer(self, method, path, status=200, body=None, headers=None):
        """Queue an answer to ``method path`` (path without the query)."""
        self.answers.setdefault((method, path), []).append((status, body, headers or {}))
        return self

    def send(self, request, **kwargs):
        parts = urllib.parse.urlsplit(request.url)
        path = parts.path
        body = request.body
        if isinstance(body, bytes):
            body = body.decode()
        try:
            body = json.loads(body) if body else None
        except (TypeError, ValueError):
            pass
        self.requests.append((request.method,
                              path + (f"?{parts.query}" if parts.query else ""), body))
        queued = self.answers.get((request.method, path))
        if not queued:
            raise AssertionError(f"unexpected Glance call: {request.method} {request.url}")
        status, content, headers = queued.pop(0) if len(queued) > 1 else queued[0]
        if isinstance(content, (dict, list)):
            content = json.dumps(content).encode()
            headers = {"Content-Type": "application/json", **headers}
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.raw = io.BytesIO(content or b"")
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass

    def calls(self, method=None):
        return [(m, p) for m, p, _ in self.requests if method in (None, m)]


def connect():
    """(fake, Glance): the wrapper's client wired to a fresh fake."""
    fake = FakeGlance()
    backend.glance_http.mount(ENDPOINT + "/", fake)
    return fake, Glance.at(ENDPOINT, "token")


def disconnect():
    backend.glance_http.adapters.pop(ENDPOINT + "/", None)
