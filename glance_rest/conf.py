"""The app's settings, each with its default, read in this one place.

Standalone, ``settings/`` sets them all from the environment. Mounted in a
Horizon (``glance_rest.horizon.urls``), Horizon's settings module is the one in
force: Horizon's own names (API_RESULT_LIMIT, OPENSTACK_ENDPOINT_TYPE,
HORIZON_IMAGES_UPLOAD_MODE, IMAGES_ALLOW_LOCATION, ...) are read as Horizon
reads them, and a setting Horizon lacks falls back to the default here, so a
Horizon that sets none of this app's own settings works.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Horizon's names, with Horizon's defaults.
    "OPENSTACK_KEYSTONE_URL": "http://127.0.0.1:5000/v3",
    "OPENSTACK_KEYSTONE_DEFAULT_DOMAIN": "Default",
    "OPENSTACK_ENDPOINT_TYPE": "publicURL",
    "SECONDARY_ENDPOINT_TYPE": None,
    "OPENSTACK_SSL_NO_VERIFY": False,
    "OPENSTACK_SSL_CACERT": None,
    "API_RESULT_LIMIT": 1000,
    "API_RESULT_PAGE_SIZE": 20,
    "HORIZON_IMAGES_UPLOAD_MODE": "legacy",
    "IMAGES_ALLOW_LOCATION": False,
    # This app's own.
    "OPENSTACK_REGION": None,
    "OPENSTACK_TIMEOUT": 60,
    "IMAGE_UPLOAD_MAX_SIZE": 1 << 40,
    "METADEFS_CACHE_SECONDS": 60,
    "PROJECTS_CACHE_SECONDS": 60,
    "OWNER_CACHE_SECONDS": 30,
    "OWNER_LOOKUPS": 100,
    "ORPHAN_SCAN_IMAGES": 5000,
    "IMAGE_SCHEMA_CACHE_SECONDS": 3600,
    "INFO_CACHE_SECONDS": 300,
    "BACKEND_CALLS_HEADER": False,
    "TOKEN_CACHE_SECONDS": 300,
    "DATA_UPLOAD_MAX_MEMORY_SIZE": 2621440,  # Django's own default
}


class Settings:
    """``settings.NAME``: Django's setting if the deployment has it, else the default."""

    def __getattr__(self, name):
        try:
            default = DEFAULTS[name]
        except KeyError:
            raise AttributeError(f"glance_rest has no setting {name}") from None
        return getattr(django_settings, name, default)


settings = Settings()


def page_size(request):
    """The caller's page size, as Horizon's ``get_page_size`` finds it: the
    session, then the cookie Horizon's user settings write, then the setting."""
    default = settings.API_RESULT_PAGE_SIZE
    session = getattr(request, "session", None)
    value = session.get("API_RESULT_PAGE_SIZE") if session is not None else None
    if value is None:
        value = request.COOKIES.get("API_RESULT_PAGE_SIZE")
    try:
        size = int(value) if value is not None else default
    except (TypeError, ValueError):
        return default
    return min(max(size, 1), settings.API_RESULT_LIMIT)
