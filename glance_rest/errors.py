"""One error type for the API, and the one table that maps client errors to it.

Views and the glance wrapper raise ``ApiError``; ``rest.ajax`` renders it as
``{"error": {"status": ..., "code": ..., "message": ...}}``: ``code`` is stable
and machine-readable, ``message`` is for people. What python-glanceclient and
keystoneauth1 raise is translated here and nowhere else.
"""

import html
import json
import re

from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc

# Glance statuses that reach the caller unchanged, with Glance's message.
PASSED_THROUGH = {400, 403, 404, 405, 409, 410, 413, 415, 416}
# The default code of each status (openapi.json's Error schema lists them all).
CODES = {
    400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "too_large",
    414: "uri_too_long", 415: "unsupported_media_type", 416: "range_not_satisfiable",
    431: "headers_too_large", 500: "internal_error", 502: "glance_failed",
    503: "glance_unavailable", 504: "glance_timeout",
}


class ApiError(Exception):
    """An error the caller should see: an HTTP status, a stable code and a
    clear message."""

    def __init__(self, status, message, field=None, code=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.code = code or CODES.get(status, "error")

    def as_dict(self):
        body = {"status": self.status, "code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body}


class BadInput(ApiError):
    """400 naming the field at fault."""

    def __init__(self, field, message):
        super().__init__(400, f"{field}: {message}", field=field, code="bad_input")


class LoginRequired(ApiError):
    def __init__(self, message="Authentication required: log in or send X-Auth-Token.",
                 code="not_authenticated"):
        super().__init__(401, message, code=code)


class LoginExpired(LoginRequired):
    def __init__(self):
        super().__init__("Your login has expired or was revoked: log in again.",
                         code="login_expired")


# Glance's words when its [import_filtering_opts] refuse a web-download or
# location URL (glance/api/v2/images.py). The API cannot read Glance's
# configuration, so it says what to check.
_FILTERED = "does not pass filtering"
FILTERING_HINT = ("Glance fetches only from the schemes, hosts and ports its "
                  "[import_filtering_opts] allow (allowed_schemes, allowed_hosts, "
                  "allowed_ports; by default http and https on ports 80 and 443 only): "
                  "serve the file from such a URL, or ask the cloud's operator what it allows.")


# Glance's words when it takes no location because it shows none
# (show_multiple_locations off, its default and make run's): only an import
# brings the data then.
_LOCATIONS_INVISIBLE = "not allowed to add locations if locations are invisible"
LOCATION_HINT = ("This Glance does not show image locations, so it takes none: send "
                 "import_data: true to have Glance fetch the URL itself (web-download).")


def with_hint(status, message):
    """Glance's message, with what to do next where Glance does not say it."""
    if status == 400 and _FILTERED in message:
        return f"{message} {FILTERING_HINT}"
    if status == 403 and _LOCATIONS_INVISIBLE in message:
        return f"{message} {LOCATION_HINT}"
    return message


_STATUS_ONLY = re.compile(r"^\d{3}(\s+[A-Za-z][A-Za-z -]*)?$")
_STATUS_PREFIX = re.compile(r"^\d{3}\b[^:]*:\s*")
_TAG = re.compile(r"<[^>]+>")


def glance_message(content_type, content):
    """Glance's own words from an error body (webob's JSON, HTML or plain
    text), without markup, escaping or the status line."""
    text = (content or b"").decode("utf-8", "replace")
    if "json" in (content_type or ""):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            # {"message": ...} from Glance, {"error": {"message": ...}} elsewhere.
            candidates = [data, *(v for v in data.values() if isinstance(v, dict))]
            text = next((c["message"] for c in candidates
                         if isinstance(c.get("message"), str)), "")
    lines = []
    for line in _TAG.sub("\n", text).splitlines():
        line = _STATUS_PREFIX.sub("", html.unescape(line).strip(), count=1)
        if line and not _STATUS_ONLY.match(line) and line not in lines:
            lines.append(line)
    return " ".join(lines) or "Glance refused the request."


class GlanceError(Exception):
    """An error answer from Glance: its status and Glance's own words.

    backend raises it from the Glance session's response hook for every
    answer of 400 or more, so the status travels on the exception to where it
    is translated (glanceclient's exceptions lose it for the statuses it has
    no class for: 410, 416, 502, 504...).
    """

    def __init__(self, status, message):
        super().__init__(f"Glance answered {status}: {message}")
        self.status = status
        self.message = message

    @classmethod
    def from_response(cls, response):
        return cls(response.status_code,
                   glance_message(response.headers.get("Content-Type"), response.content))


def from_client_error(error):
    """Translate a Glance answer, a python-glanceclient or a keystoneauth1
    error; None if unknown."""
    if isinstance(error, GlanceError):
        status, message = error.status, error.message
        if status == 401:
            return LoginExpired()
        if status in PASSED_THROUGH:
            return ApiError(status, with_hint(status, message))
        if status in (503, 504):
            return ApiError(503, "The image service is unavailable; try again later.")
        return ApiError(502, f"The image service failed (HTTP {status}).")
    # glanceclient's names for keystoneauth's connect timeout and failure.
    if isinstance(error, glance_exc.InvalidEndpoint):
        return ApiError(504, "The image service did not answer in time.")
    if isinstance(error, glance_exc.CommunicationError):
        return ApiError(503, "The image service cannot be reached; try again later.")
    if isinstance(error, ks_exc.ConnectTimeout):
        return ApiError(504, "The identity service did not answer in time.",
                        code="keystone_timeout")
    if isinstance(error, (ks_exc.ConnectionError, ks_exc.DiscoveryFailure)):
        return ApiError(503, "The identity service cannot be reached; try again later.",
                        code="keystone_unavailable")
    if isinstance(error, ks_exc.EndpointNotFound):
        return ApiError(503, "The service catalog has no image endpoint for this project.",
                        code="no_image_endpoint")
    if isinstance(error, ks_exc.Unauthorized):
        return LoginExpired()
    if isinstance(error, ks_exc.http.HttpError):
        if error.http_status in PASSED_THROUGH:
            return ApiError(error.http_status, error.message or "Keystone refused the request.")
        return ApiError(502, f"The identity service failed (HTTP {error.http_status}).",
                        code="keystone_failed")
    return None
