"""One error type for the API, and the one table that maps client errors to it.

Views and the glance wrapper raise ``ApiError``; ``rest.ajax`` renders it as
``{"error": {"status": ..., "message": ...}}``. Exceptions from glanceclient
and keystoneauth1 are translated here and nowhere else.
"""

import html
import re

from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc

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


_STATUS_PREFIX = re.compile(r"^\s*\d{3}[^:]*:\s*")


def glance_message(details):
    """Glance's own words, without the HTML escaping and status prefix."""
    text = html.unescape(str(details or "")).strip()
    text = _STATUS_PREFIX.sub("", text, count=1).strip()
    return text or "Glance refused the request."


def from_client_error(error):
    """Translate a glanceclient / keystoneauth1 exception; None if unknown."""
    if isinstance(error, glance_exc.HTTPException):
        code = error.code
        if not isinstance(code, int):
            # glanceclient knows no class for some statuses (415, 410...): its
            # details still start with Glance's status line.
            found = re.match(r"\s*(\d{3})\b", str(error.details or ""))
            code = int(found.group(1)) if found else 502
        if code == 401:
            return LoginExpired()
        if code in PASSED_THROUGH:
            return ApiError(code, glance_message(error.details))
        if code in (503, 504):
            return ApiError(503, "The image service is unavailable; try again later.")
        return ApiError(502, f"The image service failed (HTTP {code}).")
    # glanceclient turns keystoneauth's timeout into InvalidEndpoint.
    if isinstance(error, (glance_exc.InvalidEndpoint, ks_exc.ConnectTimeout)):
        return ApiError(504, "The identity or image service did not answer in time.")
    if isinstance(error, (glance_exc.CommunicationError, ks_exc.ConnectionError,
                          ks_exc.DiscoveryFailure)):
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
