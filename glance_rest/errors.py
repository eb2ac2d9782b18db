"""One error type for the API, and the one table that maps client errors to it.

Views and the glance wrapper raise ``ApiError``; ``rest.ajax`` renders it as
``{"error": {"status": ..., "message": ...}}``. What Glance answers
(``GlanceError``), urllib3's connection errors and keystoneauth1's exceptions
are translated here and nowhere else.
"""

import html
import json
import re

from keystoneauth1 import exceptions as ks_exc
from urllib3 import exceptions as urllib3_exc

# Glance statuses that reach the caller unchanged, with Glance's message.
PASSED_THROUGH = {400, 403, 404, 405, 409, 410, 413, 415, 416}


class ApiError(Exception):
    """An error the caller should see: an HTTP status and a clear message."""

    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def as_dict(self):
        body = {"status": self.status, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body}


class BadInput(ApiError):
    """400 naming the field at fault."""

    def __init__(self, field, message):
        super().__init__(400, f"{field}: {message}", field=field)


class LoginRequired(ApiError):
    def __init__(self, message="Authentication required: log in or send X-Auth-Token."):
        super().__init__(401, message)


class LoginExpired(LoginRequired):
    def __init__(self):
        super().__init__("Your login has expired or was revoked: log in again.")


class GlanceError(Exception):
    """Glance answered with an error status; ``details`` is its message."""

    def __init__(self, status, details):
        super().__init__(f"HTTP {status}: {details}")
        self.status = status
        self.details = details

    @classmethod
    def from_body(cls, status, content_type, content):
        return cls(status, glance_message(content_type, content))


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


def from_client_error(error):
    """Translate a Glance, urllib3 or keystoneauth1 error; None if unknown."""
    if isinstance(error, GlanceError):
        if error.status == 401:
            return LoginExpired()
        if error.status in PASSED_THROUGH:
            return ApiError(error.status, error.details)
        if error.status in (503, 504):
            return ApiError(503, "The image service is unavailable; try again later.")
        return ApiError(502, f"The image service failed (HTTP {error.status}).")
    # Refused or unreachable (urllib3 makes it a kind of connect timeout).
    if isinstance(error, urllib3_exc.NewConnectionError):
        return ApiError(503, "The identity or image service cannot be reached; try again later.")
    if isinstance(error, (urllib3_exc.TimeoutError, ks_exc.ConnectTimeout)):
        return ApiError(504, "The identity or image service did not answer in time.")
    if isinstance(error, (urllib3_exc.HTTPError, ks_exc.ConnectionError, ks_exc.DiscoveryFailure)):
        return ApiError(503, "The identity or image service cannot be reached; try again later.")
    if isinstance(error, ks_exc.EndpointNotFound):
        return ApiError(503, "The service catalog has no image endpoint for this project.")
    if isinstance(error, ks_exc.Unauthorized):
        return LoginExpired()
    if isinstance(error, ks_exc.http.HttpError):
        if error.http_status in PASSED_THROUGH:
            return ApiError(error.http_status, error.message or "Keystone refused the request.")
        return ApiError(502, f"The identity service failed (HTTP {error.http_status}).")
    return None
