"""Metadata definitions: namespaces (full, side by side) and resource types."""

import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from django.core.cache import cache

from .. import backend
from ..caching import cache_key
from ..conf import settings
from .client import quote
from .paging import fetch_all, listing

_namespace_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="metadefs")


def metadefs_namespace_list(glance, filters, options, resource_type=None,
                            properties_target=None):
    """A page of full namespaces: ``filters`` and ``options`` as
    params.namespace_listing made them."""
    sort_key = options["sort_key"]
    if resource_type:
        filters = dict(filters, resource_types=resource_type)
    keep = _properties_target_filter(properties_target, filters.get("resource_types"))

    def fetch(marker, sort_dir, count):
        params = dict(filters, sort_key=sort_key, sort_dir=sort_dir)
        if marker:
            params["marker"] = marker
        return fetch_all(glance, "/v2/metadefs/namespaces", "namespaces", params, count, keep)

    summaries, has_more, has_prev = listing(fetch, **options)
    query = f"?resource_type={urllib.parse.quote(resource_type)}" if resource_type else ""
    endpoint = glance.endpoint

    # The listing (made with the caller's token) decides what the caller may
    # see; a body cached for exactly that summary is then safe to reuse, and
    # any change the summary shows (updated_at, description, associations...)
    # is a new key.
    keys = [cache_key("namespace", endpoint, resource_type or "",
                      json.dumps(summary, sort_keys=True)) for summary in summaries]
    # The cache is read and written in this thread only: Django's cache objects
    # are per context, which the worker threads share, and a memcached client
    # (pymemcache, Horizon's usual CACHES) is not safe across threads.
    cached = cache.get_many(keys)
    missing = [(key, summary) for key, summary in zip(keys, summaries) if key not in cached]

    def full(item):
        # (metadefs_namespace.get would also fetch the namespace schema and
        # validate a model of the body.)
        return glance.get(f"/v2/metadefs/namespaces/{quote(item[1]['namespace'])}{query}")

    # Glance lists summaries only: fetch the full namespaces side by side.
    fetched = dict(zip((key for key, _ in missing),
                       backend.run_in_context(_namespace_pool, full, missing)))
    if fetched and settings.METADEFS_CACHE_SECONDS:
        cache.set_many(fetched, settings.METADEFS_CACHE_SECONDS)
    return [cached[key] if key in cached else fetched[key] for key in keys], has_more, has_prev


def _properties_target_filter(target, resource_types):
    """Horizon's ``properties_target`` (which Glance ignores): keep the namespaces
    associated with one of ``resource_types`` for that target. Like Horizon,
    only when both are given."""
    if not target or not resource_types:
        return None
    names = set(resource_types if isinstance(resource_types, list)
                else resource_types.split(","))

    def keep(namespace):
        return any(a.get("name") in names and a.get("properties_target") == target
                   for a in namespace.get("resource_type_associations") or ())
    return keep


def metadefs_resource_types(glance):
    """One GET (metadefs_resource_type.list also fetches a schema and builds a
    model per resource type)."""
    return glance.get("/v2/metadefs/resource_types").get("resource_types", [])


def metadefs_namespace(glance, namespace, resource_type=None):
    """One full namespace, its properties prefixed for ``resource_type``
    (one GET: ``metadefs_namespace.get`` would fetch the namespace schema and
    validate a model of the body)."""
    query = f"?resource_type={urllib.parse.quote(resource_type)}" if resource_type else ""
    return glance.get(f"/v2/metadefs/namespaces/{quote(namespace, 'namespace')}{query}")
