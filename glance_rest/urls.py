"""Every API view registers itself with its url_regex under /api/; the
images panel (glance_rest/panel.py) is at /."""

from django.urls import include, path

from . import auth_views, panel, views  # noqa: F401 - importing registers the views
from .rest import urlpatterns as api_urlpatterns

urlpatterns = [path("api/", include(api_urlpatterns())), *panel.urlpatterns]

handler400 = "glance_rest.rest.bad_request"
handler403 = "glance_rest.rest.permission_denied"
handler404 = "glance_rest.rest.not_found"
handler500 = "glance_rest.rest.server_error"
