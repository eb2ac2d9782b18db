"""/api/auth/: log in with Keystone, see who is logged in, log out."""

from django.conf import settings as django_settings
from django.middleware.csrf import get_token

from . import auth
from .conf import settings
from .errors import LoginRequired
from .rest import (ApiView, ajax, caller_credentials, check_browser_request, header_token,
                   register)


@register
class Session(ApiView):
    url_regex = r"^auth/session/$"

    # Reads nothing a page could abuse, and curl fetches its CSRF cookie here.
    @ajax("session", login_required=False, browser_checks=False, parse_body=False)
    def get(self, request):
        """Who is logged in (401 if nobody); always sets the CSRF cookie."""
        get_token(request)
        credentials = caller_credentials(request)
        if credentials is None:
            raise LoginRequired()
        return credentials.describe()


@register
class Login(ApiView):
    url_regex = r"^auth/login/$"

    @ajax("login", login_required=False, data_required=True)
    def post(self, request):
        """Authenticate with Keystone; the session then carries the login."""
        data = request.DATA
        credentials = auth.login(
            request, username=data["username"], password=data["password"],
            domain=data.get("domain") or settings.OPENSTACK_KEYSTONE_DEFAULT_DOMAIN,
            project=data.get("project"))
        return credentials.describe()


@register
class Logout(ApiView):
    url_regex = r"^auth/logout/$"

    @ajax("logout", login_required=False, browser_checks=False, parse_body=False)
    def post(self, request):
        """Revoke the token at Keystone and end the session; ``{"revoked":
        true}`` when the token no longer works, ``false`` when Keystone could
        not revoke it (it works until it expires), ``null`` when there was no
        token. A browser's session is ended only by the browser's own XHR
        with its CSRF token."""
        token = header_token(request)
        if token:
            return {"revoked": auth.revoke_token(request, token)}
        if django_settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return {"revoked": None}
        check_browser_request(request)
        return {"revoked": auth.logout(request)}


@register
class Projects(ApiView):
    url_regex = r"^auth/projects/$"

    @ajax("projects", parse_body=False)
    def get(self, request):
        """The projects the caller's user may switch to, and the current one."""
        return {"items": auth.projects(request.credentials),
                "current": request.credentials.access.project_id}


@register
class SwitchProject(ApiView):
    url_regex = r"^auth/switch/$"

    @ajax("switchProject", data_required=True)
    def post(self, request):
        """Re-scope the session to ``{"project": "<id or name>"}``, no password;
        the new login, and whether the old token was revoked."""
        credentials, revoked = auth.switch_project(request, request.credentials,
                                                   request.DATA["project"])
        return {**credentials.describe(), "revoked": revoked}
