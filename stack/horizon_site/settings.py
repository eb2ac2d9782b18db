"""Horizon's own settings, then this site's, from the environment."""

import os
from openstack_dashboard.settings import *  # noqa: F401,F403



def _flag(name, default):
    return os.environ.get(name, default).lower() in ("1", "true", "yes")


SECRET_KEY = os.environ["SECRET_KEY"]
OPENSTACK_KEYSTONE_URL = os.environ.get(
    "OPENSTACK_KEYSTONE_URL", OPENSTACK_KEYSTONE_URL)  # noqa: F405
OPENSTACK_ENDPOINT_TYPE = "publicURL"
# Otherwise Horizon takes the catalog's first region, which Keystone does not order.
if os.environ.get("OPENSTACK_REGION"):
    DEFAULT_SERVICE_REGIONS = {"*": os.environ["OPENSTACK_REGION"]}
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DEBUG = False
# The tracebacks of 500s in the server's log: Django prints them only with DEBUG.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}

HORIZON_IMAGES_UPLOAD_MODE = os.environ.get("HORIZON_IMAGES_UPLOAD_MODE", "legacy")
IMAGES_ALLOW_LOCATION = _flag("IMAGES_ALLOW_LOCATION", "1")

# Horizon derived these from its default WEBROOT already (only its own
# local_settings come early enough): derive them again, the same way.
WEBROOT = os.environ.get("HORIZON_WEBROOT", "/").rstrip("/") + "/"
LOGIN_URL = WEBROOT + "auth/login/"
LOGOUT_URL = WEBROOT + "auth/logout/"
LOGIN_ERROR = WEBROOT + "auth/error/"
LOGIN_REDIRECT_URL = WEBROOT
MEDIA_URL = WEBROOT + "media/"
STATIC_URL = WEBROOT + "static/"
HORIZON_COMPRESS_OFFLINE_CONTEXT_BASE = {
    **HORIZON_COMPRESS_OFFLINE_CONTEXT_BASE,  # noqa: F405
    "WEBROOT": WEBROOT, "STATIC_URL": STATIC_URL}

# Sessions (Horizon's cache backend) in a cache every worker shares; Horizon's
# default is memcached, absent here.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
CACHES = {"default": {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": os.environ["HORIZON_DATA_DIR"],
    # Cached template preloads hold STATIC_URL: none may outlive a web root change.
    "KEY_PREFIX": WEBROOT,
    # Past 300 entries Django would drop a third of them, sessions included.
    "OPTIONS": {"MAX_ENTRIES": 100_000},
}}

# Distributions' deployments: memcached as the cache, sessions in it.
if os.environ.get("HORIZON_MEMCACHED"):
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": os.environ["HORIZON_MEMCACHED"],
        "KEY_PREFIX": WEBROOT,
    }}

# Pages cannot render without offline compression; WhiteNoise serves the result
# (gunicorn serves no files). make horizon-RELEASE collects and compresses once
# per release, into build/horizon-RELEASE/static.
STATIC_ROOT = os.environ["HORIZON_STATIC_ROOT"]
COMPRESS_OFFLINE = True
COMPRESS_ENABLED = True
# The compressed scripts hold WEBROOT and STATIC_URL: one manifest per web root.
COMPRESS_OFFLINE_MANIFEST = "manifest%s.json" % WEBROOT.rstrip("/").replace("/", "-")
if _flag("HORIZON_SERVE_STATIC", "1"):  # Apache serves them itself
    MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"] + list(MIDDLEWARE)  # noqa: F405
# Under a web root gunicorn's SCRIPT_NAME takes it off the path WhiteNoise matches.
WHITENOISE_STATIC_PREFIX = "/static/"

if os.environ.get("GLANCE_REST_MOUNTED") == "1":
    INSTALLED_APPS = list(INSTALLED_APPS) + ["glance_rest"]  # noqa: F405
    ROOT_URLCONF = "glance_rest.horizon.urls"
