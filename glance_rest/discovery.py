"""What a Glance offers, for a create form (``GET /api/glance/info/``): its API
version, import methods and stores, the formats of its image schema and this
API's upload limits; and the caller's quota usage.

Version, import methods and stores are the cloud's configuration, the same for
every caller of an endpoint: they are asked of Glance once per endpoint and
INFO_CACHE_SECONDS (side by side, through Django's cache), never per request.
"""

from concurrent.futures import ThreadPoolExecutor

from django.core.cache import cache

from . import backend
from .caching import cache_key
from .conf import settings
from .errors import GlanceError

_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="discovery")


def _version(glance):
    """The id of Glance's CURRENT API version, e.g. "v2.17"."""
    versions = glance.client.versions.list()
    current = [v["id"] for v in versions if v.get("status", "").upper() == "CURRENT"]
    return current[0] if current else None


def _unless_absent(call):
    """``call()``, or None where this Glance answers 404 (it lacks the API)."""
    try:
        return call()
    except GlanceError as error:
        if error.status == 404:
            return None
        raise


def _import_methods(glance):
    # None: a Glance without interoperable import.
    body = _unless_absent(glance.client.images.get_import_info)
    return list(body.get("import-methods", {}).get("value", [])) if body else []


def _stores(glance):
    # None: a single-store cloud.
    body = _unless_absent(glance.client.images.get_stores_info)
    return target_stores(body) if body else []


def target_stores(body):
    """The stores an image can be put in, of Glance's /v2/info/stores answer:
    its flags are strings ("true"), and read-only stores (http) are listed
    too, though nothing can be put there."""
    return [{"id": store["id"], "description": store.get("description", ""),
             "default": str(store.get("default", "")).lower() == "true"}
            for store in body.get("stores", [])
            if str(store.get("read-only", "")).lower() != "true"]


def offered(glance):
    """{"version", "import_methods", "stores"} of the caller's Glance endpoint."""
    key = cache_key("info", glance.endpoint)
    found = cache.get(key)
    if found is None:
        version, methods, stores = backend.run_in_context(
            _pool, lambda ask: ask(glance), (_version, _import_methods, _stores))
        found = {"version": version, "import_methods": methods, "stores": stores}
        cache.set(key, found, settings.INFO_CACHE_SECONDS)
    return found


def cloud_info(glance):
    schema = glance.schema()
    return {
        **offered(glance),
        "disk_formats": list(schema.disk_formats),
        "container_formats": list(schema.container_formats),
        "upload_mode": settings.HORIZON_IMAGES_UPLOAD_MODE,
        # Bytes; null: no limit of this API's own (Glance's image_size_cap applies).
        "max_upload_size": settings.IMAGE_UPLOAD_MAX_SIZE or None,
    }


def usage(glance):
    """Glance's quota usage of the caller's project: {} unless the cloud
    enforces Keystone limits (use_keystone_limits)."""
    return glance.client.info.get_usage()
