"""Every view registers itself with its url_regex; all live under /api/."""

from django.urls import include, path

from . import auth_views, views  # noqa: F401 - importing registers the views
from .rest import urlpatterns as api_urlpatterns

urlpatterns = [path("api/", include(api_urlpatterns()))]

handler400 = "glance_rest.rest.bad_request"
handler403 = "glance_rest.rest.permission_denied"
handler404 = "glance_rest.rest.not_found"
handler500 = "glance_rest.rest.server_error"
