"""Horizon's login is the login: the user openstack_auth keeps in Horizon's
session becomes this API's credentials, read fresh on every request (so a
project switch in Horizon's header is followed at once) and never written
back: this app stores nothing in Horizon's session."""

from keystoneauth1 import access

from ..auth import Credentials
from ..errors import LoginExpired


class HorizonCredentials(Credentials):
    """Horizon's logged-in user as keystoneauth1 token data: the same token,
    project, roles and catalog, in the user's Horizon region."""

    def __init__(self, user):
        token = user.token
        body = {"token": {
            "expires_at": token.expires.isoformat() if token.expires else None,
            "user": {"id": user.id, "name": user.username,
                     "domain": {"id": user.user_domain_id, "name": user.user_domain_name}},
            "project": {"id": user.project_id, "name": user.project_name,
                        "domain": {"id": token.project.get("domain_id"), "name": None}},
            "roles": [{"name": role["name"]} for role in user.roles],
            "catalog": user.service_catalog or [],
        }}
        super().__init__(access.AccessInfoV3(body, auth_token=token.id), via_session=True,
                         region=user.services_region)

    def forget(self, request):
        """Horizon's own script logs out on the 401: its session is Horizon's."""


def credentials(request):
    """The logged-in Horizon user's credentials; None for an anonymous
    caller; 401 once the token has expired."""
    user = getattr(request, "user", None)
    if getattr(user, "token", None) is None:
        return None
    if not user.is_authenticated:  # openstack_auth: the token has expired
        raise LoginExpired()
    return HorizonCredentials(user)
