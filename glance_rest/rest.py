"""JSON in, JSON out: the one decorator every API view method wears, and the
registry that puts each view's ``url_regex`` beside the view.

``ajax`` authenticates the caller, applies the browser checks (XHR header and
CSRF token) to callers the session authenticates (and at login), decodes the JSON body into
``request.DATA``, checks the request against its operation in openapi.json
(``contract``), calls the view method and turns what it returns into a
response: a dict or list is 200 JSON, ``None`` is 204, a ready response passes
through. Errors become JSON with the right status; an unexpected exception is
logged with a request id and answered 500 with that id only, never its text.
"""

import functools
import json
import logging
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import re_path
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import auth, backend, contract
from .errors import ApiError, BadInput, LoginRequired, from_client_error

LOG = logging.getLogger(__name__)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_registered = []


def register(view_class):
    """Class decorator: serve this view at ``/api/`` + its ``url_regex``."""
    regex = view_class.url_regex
    if not (regex.startswith("^") and regex.endswith("$")):
        raise ValueError(f"{view_class.__name__}.url_regex must be anchored (^...$)")
    _registered.append(view_class)
    return view_class


def slash_optional(regex):
    """Serve a route with and without its trailing slash, the same answer
    either way: Horizon's documented examples leave it off, and a redirect
    cannot carry a PUT, PATCH or DELETE."""
    return regex[:-1].removesuffix("/") + "/?$"


def urlpatterns(prefix="", **initkwargs):
    """The registered views whose regex starts with ``^prefix``; ``initkwargs``
    as ``as_view`` takes them (glance_rest.horizon.urls: Horizon's login)."""
    # CSRF is enforced by ``ajax`` for session callers only: a request that
    # its X-Auth-Token authenticates carries no ambient credential to forge.
    return [re_path(slash_optional(view.url_regex), csrf_exempt(view.as_view(**initkwargs)))
            for view in _registered if view.url_regex.startswith("^" + prefix)]


class ApiView(View):
    """Base of every API view: JSON for methods it does not serve."""

    # Who a caller without a token is: this app's own login, or the
    # login of the site it is mounted in (glance_rest.horizon.auth).
    session_login = staticmethod(auth.session_credentials)

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = ", ".join(self._allowed_methods())
        response = error_response(
            ApiError(405, f"Method {request.method} not allowed; use {allowed}."))
        response["Allow"] = allowed
        return response


class CreatedResponse(JsonResponse):
    def __init__(self, location, data):
        super().__init__(data, status=201)
        self["Location"] = location


def error_response(error):
    return JsonResponse(error.as_dict(), status=error.status)


# Django's own error pages, as JSON (urls.py names these as handler400 etc.).
def bad_request(request, exception=None):
    return error_response(ApiError(400, "Bad request."))


def permission_denied(request, exception=None):
    return error_response(ApiError(403, "Forbidden."))


def not_found(request, exception=None):
    response = error_response(ApiError(404, "No such endpoint; see /api/glance/openapi.json."))
    # This app's answer even where its middleware is not installed (inside Horizon).
    response["X-Request-Id"] = getattr(request, "request_id", None) or f"req-{uuid.uuid4()}"
    return response


def server_error(request):
    return error_response(ApiError(500, "Internal error."))


class _CsrfCheck(CsrfViewMiddleware):
    """Django's own CSRF check, reporting the reason instead of rendering a page."""

    def _reject(self, request, reason):
        return reason


def check_browser_request(request):
    """A session caller must be our XHR (Horizon's rule) and, for unsafe
    methods, carry Django's CSRF token."""
    if request.headers.get("X-Requested-With") != "XMLHttpRequest":
        raise ApiError(400, "Requests authenticated by session must send "
                            "X-Requested-With: XMLHttpRequest.")
    if request.method not in SAFE_METHODS:
        check = _CsrfCheck(lambda req: None)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            # Django's reasons end with a period of their own.
            raise ApiError(403, f"CSRF check failed: {reason.rstrip('.')}. Send the csrftoken "
                                "cookie's value in X-CSRFToken.")


def header_token(request):
    """The request's X-Auth-Token; None when it has none, or an empty or
    blank one: that is no credential, and the session's checks apply."""
    return request.headers.get("X-Auth-Token", "").strip() or None


def caller_credentials(request, session_login=auth.session_credentials):
    """The X-Auth-Token's credentials, else the session's; None if neither."""
    token = header_token(request)
    if token:
        return auth.token_credentials(token)
    return session_login(request)


def authenticate(request, session_login):
    credentials = caller_credentials(request, session_login)
    if credentials is None:
        raise LoginRequired()
    return credentials


def parse_json_body(request, required):
    if not request.body:
        if required:
            raise ApiError(400, "A JSON object body is required.")
        return {}
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise ApiError(415, f"Send the body as application/json, not {content_type or 'untyped'}.")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput("body", "must be a JSON object")
    return data


def ajax(operation, login_required=True, browser_checks=True, data_required=False,
         parse_body=True):
    """Wrap a view method: auth, browser checks, JSON body, the checks
    ``operation`` (its operationId in openapi.json) declares for its path,
    query and body, response and error mapping. Each protection is declared
    on its own: ``login_required`` (401 without credentials) and
    ``browser_checks`` (a caller the session authenticates, i.e. one whose
    cookies act for it, must be our XHR with the CSRF token; so must every
    caller of a view without ``login_required``, such as the login, whatever
    headers it sends)."""
    declared = contract.operation(operation)

    def decorator(method):
        method.operation_id = operation

        @functools.wraps(method)
        def wrapper(self, request, *args, **kwargs):
            # Mounted without this app's middleware (inside Horizon), the
            # request is counted and given its id here.
            with backend.counting():
                if getattr(request, "request_id", None):
                    return respond(self, request, *args, **kwargs)
                request.request_id = f"req-{uuid.uuid4()}"
                response = respond(self, request, *args, **kwargs)
                response["X-Request-Id"] = request.request_id
                return response

        def respond(self, request, *args, **kwargs):
            request.credentials = None
            try:
                if login_required:
                    request.credentials = authenticate(request, self.session_login)
                # By the credential used, never by a header's presence.
                if browser_checks and (request.credentials is None
                                       or request.credentials.via_session):
                    check_browser_request(request)
                declared.check_path(kwargs)
                declared.check_query(request.GET)
                if parse_body:
                    request.DATA = parse_json_body(request, data_required)
                    if request.body:
                        declared.check_body(request.DATA)
                result = method(self, request, *args, **kwargs)
            except RequestDataTooBig:
                return error_response(ApiError(413, "The request body is too large."))
            except ApiError as error:
                return _failed(request, error)
            except Exception as exc:  # noqa: BLE001 - mapped or logged, never shown
                error = from_client_error(exc)
                if error is None:
                    # The id of the log line and of the X-Request-Id header.
                    LOG.exception("Unexpected error, request id %s", request.request_id)
                    error = ApiError(500, f"Internal error; request id {request.request_id}.")
                return _failed(request, error)
            if result is None:
                return HttpResponse(status=204)
            if isinstance(result, HttpResponseBase):
                return result
            return JsonResponse(result, safe=False)

        return wrapper

    return decorator


def _failed(request, error):
    if error.status == 401 and request.credentials is not None:
        request.credentials.forget(request)
    return error_response(error)
