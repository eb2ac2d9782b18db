"""This app as a Horizon mounts it (glance_rest/horizon/urls.py), for Django's
test client without Horizon's virtualenv: the same /api/glance/ routes with
Horizon's login as the session's (glance_rest.horizon.auth), and in place of
openstack_auth's middleware one that gives each Horizon session cookie its
logged-in user, an object with the attributes openstack_auth's User has
(as tests/unit/test_horizon_auth.py builds it), holding a real token of the
test stack's. Horizon's own pages are not served: tests/browser/test_inside_horizon.py
drives the real one."""

from types import SimpleNamespace

from django.urls import include, path, re_path

from glance_rest import views  # noqa: F401 - importing registers the views
from glance_rest.horizon import auth
from glance_rest.rest import not_found, urlpatterns as api_urlpatterns

urlpatterns = [
    path("api/", include(api_urlpatterns(prefix="glance/", session_login=auth.credentials))),
    re_path(r"^api/glance/", not_found),
]

# Horizon's session cookie -> its logged-in user (the tests log users in here).
USERS = {}
ANONYMOUS = SimpleNamespace(is_authenticated=False)


def horizon_user(access_info, region):
    """openstack_auth's User, as far as this app reads it, for a Keystone login."""
    token = SimpleNamespace(id=access_info.auth_token, expires=access_info.expires,
                            project={"domain_id": access_info.project_domain_id})
    return SimpleNamespace(
        token=token, id=access_info.user_id, username=access_info.username,
        user_domain_id=access_info.user_domain_id,
        user_domain_name=access_info.user_domain_name, project_id=access_info.project_id,
        project_name=access_info.project_name,
        roles=[{"name": name} for name in access_info.role_names],
        service_catalog=access_info.service_catalog.catalog, services_region=region,
        is_authenticated=True)


class HorizonUserMiddleware:
    """request.user as openstack_auth's middleware sets it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = USERS.get(request.COOKIES.get("sessionid"), ANONYMOUS)
        return self.get_response(request)
