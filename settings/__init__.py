"""Settings of glance-rest, all read from the environment here, in one place.

Names follow Horizon's where Horizon has one (OPENSTACK_KEYSTONE_URL,
API_RESULT_LIMIT, ...), so an operator's knowledge carries over. The README's
"Configuration" section lists every variable.
"""

import os
import urllib.parse
from pathlib import Path

import django
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def env_bool(name, default=False):
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name, default, minimum=0):
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return number


def env_list(name, default=()):
    value = env_str(name)
    return list(default) if value is None else [v.strip() for v in value.split(",") if v.strip()]


# --- Django ---------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG and env_str("GLANCE_REST_DEV") is None:
        raise ImproperlyConfigured(
            "Set SECRET_KEY (or GLANCE_REST_DEV=1 for a development key).")
    # Development only: a key per data folder, never a fixed one in the code.
    _key_file = BASE_DIR / ".stack" / "django-secret-key"
    _key_file.parent.mkdir(exist_ok=True)
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "glance_rest",
]
MIDDLEWARE = [
    "glance_rest.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Sets the CSRF cookie; the check itself is done by glance_rest.rest.ajax
    # for session callers (the views are csrf_exempt for X-Auth-Token callers).
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "glance_rest.urls"
WSGI_APPLICATION = "glance_rest.wsgi.application"
APPEND_SLASH = False
USE_TZ = True
TIME_ZONE = "UTC"

def postgresql_from_url(url):
    """Django's settings for postgresql://user:password@host:port/name
    (``?host=/socket/folder`` for a Unix socket)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
        raise ImproperlyConfigured("DATABASE_URL must be postgresql://user:password@host:port/"
                                   "name (SQLite is the default without it)")
    query = dict(urllib.parse.parse_qsl(parts.query))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": urllib.parse.unquote(parts.path.strip("/")),
        "USER": urllib.parse.unquote(parts.username or ""),
        "PASSWORD": urllib.parse.unquote(parts.password or ""),
        "HOST": parts.hostname or query.get("host", ""),
        "PORT": str(parts.port or ""),
    }


# Django's own database holds the sessions: SQLite by default, or PostgreSQL
# from DATABASE_URL, which several API hosts can share.
if env_str("DATABASE_URL"):
    _database = postgresql_from_url(env_str("DATABASE_URL"))
else:
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("GLANCE_REST_DB", str(BASE_DIR / ".stack" / "glance-rest.sqlite3")),
        # IMMEDIATE (Django 5.1+) avoids "database is locked" when two requests
        # write sessions; on Django 4.2 the wait for the lock is all there is.
        "OPTIONS": {"timeout": 20, **(
            {"transaction_mode": "IMMEDIATE"} if django.VERSION >= (5, 1) else {})},
    }
DATABASES = {
    "default": {
        **_database,
        # Keep connections between requests: session reads are on the hot path.
        "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 300),
        "CONN_HEALTH_CHECKS": True,
    }
}

# Sessions hold the Keystone token: HttpOnly, SameSite=Lax, Secure behind HTTPS.
# Django's database sessions with a leaner read (glance_rest/sessions.py).
SESSION_ENGINE = env_str("SESSION_ENGINE", "glance_rest.sessions")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 3600, minimum=60)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind a TLS-terminating proxy (README, "Production").
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Validated tokens, catalog lookups, Glance's image schema and metadata
# definitions are cached here: in each process's memory by default; with
# REDIS_URL=redis://host:6379/0 in one Redis shared by every API process and
# host (then also usable for SESSION_ENGINE=django.contrib.sessions.backends.cache).
if env_str("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": env_str("REDIS_URL")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                          "OPTIONS": {"MAX_ENTRIES": 10000}}}

# Request bodies: JSON bodies are small; image bytes go through upload handlers.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024, minimum=1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {
        "format": "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "glance_rest": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
        # Failures outside the views' own error handling (500s) still get logged.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # keystoneauth logs request headers (tokens) at DEBUG: keep it quiet,
        # and urllib3's per-connection chatter with it.
        "keystoneauth": {"handlers": ["console"], "level": "WARNING"},
        "glanceclient": {"handlers": ["console"], "level": "WARNING"},
        "urllib3": {"handlers": ["console"], "level": "WARNING"},
    },
}

# --- OpenStack (Horizon's names) -------------------------------------------
OPENSTACK_KEYSTONE_URL = env_str("OPENSTACK_KEYSTONE_URL", "http://127.0.0.1:5000/v3")
OPENSTACK_ENDPOINT_TYPE = env_str("OPENSTACK_ENDPOINT_TYPE", "publicURL")
# Tried when the catalog has no OPENSTACK_ENDPOINT_TYPE endpoint, as Horizon does.
SECONDARY_ENDPOINT_TYPE = env_str("SECONDARY_ENDPOINT_TYPE")
OPENSTACK_REGION = env_str("OPENSTACK_REGION")
OPENSTACK_SSL_NO_VERIFY = env_bool("OPENSTACK_SSL_NO_VERIFY", False)
OPENSTACK_SSL_CACERT = env_str("OPENSTACK_SSL_CACERT")
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = env_str("OPENSTACK_KEYSTONE_DEFAULT_DOMAIN", "Default")
API_RESULT_LIMIT = env_int("API_RESULT_LIMIT", 1000, minimum=1)
API_RESULT_PAGE_SIZE = env_int("API_RESULT_PAGE_SIZE", 20, minimum=1)

# Horizon's name; IMAGES_UPLOAD_MODE is the same setting in the environment.
HORIZON_IMAGES_UPLOAD_MODE = env_str("IMAGES_UPLOAD_MODE",
                                     env_str("HORIZON_IMAGES_UPLOAD_MODE", "legacy"))
if HORIZON_IMAGES_UPLOAD_MODE not in ("legacy", "direct", "off"):
    raise ImproperlyConfigured("IMAGES_UPLOAD_MODE must be legacy, direct or off, "
                               f"not {HORIZON_IMAGES_UPLOAD_MODE!r}")
# Whether an image may be created from a URL Glance records as its location
# (source_type url without import_data); a web-download import is always allowed.
# Horizon's default is false; standalone, true.
IMAGES_ALLOW_LOCATION = env_bool("IMAGES_ALLOW_LOCATION", True)

# Largest image upload accepted through the API, in bytes (0: no limit of our
# own; Glance's image_size_cap still applies). Larger: 413 before reading.
IMAGE_UPLOAD_MAX_SIZE = env_int("IMAGE_UPLOAD_MAX_SIZE", 1 << 40)

# Seconds to wait for Glance or Keystone before answering 503/504.
OPENSTACK_TIMEOUT = env_int("OPENSTACK_TIMEOUT", 60, minimum=1)
# Seconds a full metadata definition namespace is reused. The namespace list
# is still asked of Glance on every call, so a namespace that appears, goes or
# changes what its summary shows is seen at once; property edits within this time.
METADEFS_CACHE_SECONDS = env_int("METADEFS_CACHE_SECONDS", 60)
# Seconds an administrator's view of every project's name (the owners in
# GET /api/glance/admin/images/) is reused per token; ?orphaned=true reads afresh.
PROJECTS_CACHE_SECONDS = env_int("PROJECTS_CACHE_SECONDS", 60)
# An owner that list lacks is asked of Keystone by itself: its answer (live,
# gone, or Keystone will not say) is reused per token for OWNER_CACHE_SECONDS,
# and one request asks about OWNER_LOOKUPS owners at most.
OWNER_CACHE_SECONDS = env_int("OWNER_CACHE_SECONDS", 30)
OWNER_LOOKUPS = env_int("OWNER_LOOKUPS", 100, minimum=1)
# Images of Glance's catalogue one ?orphaned=true request reads at most; the
# answer's scan_marker carries on from where it stopped.
ORPHAN_SCAN_IMAGES = env_int("ORPHAN_SCAN_IMAGES", 5000, minimum=1)
# Seconds Glance's image schema (which attributes are base, the formats) is
# reused per Glance endpoint before it is asked for again.
IMAGE_SCHEMA_CACHE_SECONDS = env_int("IMAGE_SCHEMA_CACHE_SECONDS", 3600, minimum=1)
# Seconds what a Glance endpoint offers (its API version, import methods and
# stores: GET /api/glance/info/) is reused before it is asked for again.
INFO_CACHE_SECONDS = env_int("INFO_CACHE_SECONDS", 300, minimum=1)
# Add "X-Backend-Calls: glance=N, keystone=N" to responses (for make bench).
BACKEND_CALLS_HEADER = env_bool("BACKEND_CALLS_HEADER", False)
# How long a validated X-Auth-Token is trusted without asking Keystone again.
TOKEN_CACHE_SECONDS = env_int("TOKEN_CACHE_SECONDS", 300)
