"""/api/auth/: log in with Keystone, see who is logged in, log out."""

from django.middleware.csrf import get_token

from . import auth, params
from .conf import settings
from .errors import BadInput, LoginRequired
from .rest import ApiView, ajax, caller_credentials, register


@register
class Session(ApiView):
    url_regex = r"^auth/session/$"

    # Reads nothing a page could abuse, and curl fetches its CSRF cookie here.
    @ajax(login_required=False, browser_checks=False, parse_body=False)
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

    @ajax(login_required=False, data_required=True)
    def post(self, request):
        """Authenticate with Keystone; the session then carries the login."""
        data = request.DATA
        for field in ("username", "password"):
            if not data.get(field):
                raise BadInput(field, "is required")
        credentials = auth.login(
            request,
            username=params.as_text("username", data["username"]),
            password=params.as_text("password", data["password"]),
            domain=params.as_text(
                "domain", data.get("domain") or settings.OPENSTACK_KEYSTONE_DEFAULT_DOMAIN),
            project=params.as_text("project", data.get("project"), allow_null=True),
        )
        return credentials.describe()


@register
class Logout(ApiView):
    url_regex = r"^auth/logout/$"

    @ajax(login_required=False, parse_body=False)
    def post(self, request):
        """Revoke the token at Keystone and end the session. 204 either way."""
        token = request.headers.get("X-Auth-Token")
        if token:
            auth.revoke_token(token)
            return None
        auth.logout(request)


@register
class Projects(ApiView):
    url_regex = r"^auth/projects/$"

    @ajax(parse_body=False)
    def get(self, request):
        """The projects the caller's user may switch to, and the current one."""
        return {"items": auth.projects(request.credentials),
                "current": request.credentials.access.project_id}


@register
class SwitchProject(ApiView):
    url_regex = r"^auth/switch/$"

    @ajax(data_required=True)
    def post(self, request):
        """Re-scope the session to ``{"project": "<id or name>"}``, no password."""
        unknown = sorted(set(request.DATA) - {"project"})
        if unknown:
            raise BadInput(unknown[0], "is not a field here (only project)")
        if not request.DATA.get("project"):
            raise BadInput("project", "is required")
        project = params.as_text("project", request.DATA["project"])
        return auth.switch_project(request, request.credentials, project).describe()
