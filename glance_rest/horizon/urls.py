"""The URLconf a Horizon deployment names as ROOT_URLCONF: this app's
/api/glance/ routes first, then all of Horizon's own, unchanged.

Any other path under /api/glance/ is this app's JSON 404, never Horizon's old
glance view. Callers are authenticated by Horizon's login (``auth``) or by
X-Auth-Token; this app's own login (/api/auth/) and panel are not served here.
"""

from django.urls import include, path, re_path
from openstack_dashboard import urls as horizon_urls

from .. import views  # noqa: F401 - importing registers the views
from ..rest import not_found, urlpatterns as api_urlpatterns
from . import auth

urlpatterns = [
    path("api/", include(api_urlpatterns(prefix="glance/", session_login=auth.credentials))),
    re_path(r"^api/glance/", not_found),
    *horizon_urls.urlpatterns,
]
