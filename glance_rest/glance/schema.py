"""Glance's image schema: which attributes are base, read-only or described
custom properties, and the cloud's formats. Fetched once per Glance endpoint
and cache period."""

import time

import jsonschema
from django.core.cache import cache

from ..caching import cache_key
from ..conf import settings

# Glance endpoint -> (monotonic deadline, ImageSchema). Endpoints come from
# Keystone's catalogs: a handful per cloud.
_parsed = {}


class ImageSchema:
    """What Glance's image schema says: base attributes, read-only ones,
    formats, and the custom properties it describes.

    An attribute is base unless the schema marks it ``"is_base": false``: a
    Glance configured with a ``schema-image.json`` (devstack, distribution
    packages) describes custom properties such as ``os_distro`` there, and
    they stay custom properties.
    """

    def __init__(self, raw):
        properties = raw.get("properties", {})
        self.base = frozenset(k for k, v in properties.items() if v.get("is_base", True))
        self.described = {k: v for k, v in properties.items() if k not in self.base}
        self.read_only = frozenset(k for k in self.base if properties[k].get("readOnly"))
        self.disk_formats = tuple(v for v in properties.get("disk_format", {}).get("enum", ()) if v)
        self.container_formats = tuple(
            v for v in properties.get("container_format", {}).get("enum", ()) if v)
        self._validators = {}

    def custom_value_error(self, key, value):
        """Why ``value`` does not fit the schema's description of custom
        property ``key`` (None when it fits or the key is not described)."""
        description = self.described.get(key)
        if description is None:
            return None
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = jsonschema.Draft4Validator(
                {k: v for k, v in description.items() if k != "is_base"})
        error = next(iter(validator.iter_errors(value)), None)
        if error is None:
            return None
        if error.validator == "pattern":
            return f"{value!r} does not match {error.validator_value}"
        return error.message


def image_schema(glance):
    """The image schema of ``glance``'s endpoint. Shared through Django's
    cache (it is the same for every caller of that Glance); each process
    also keeps the parsed schema for the cache period from when it first
    read it: reading it back from Django's cache (unpickling, parsing) on
    every request cost more than the rest of the API's own work on a GET."""
    now = time.monotonic()
    kept = _parsed.get(glance.endpoint)
    if kept is not None and kept[0] > now:
        return kept[1]
    key = cache_key("image-schema", glance.endpoint)
    raw = cache.get(key)
    if raw is None:
        raw = glance.client.schemas.get("image").raw()
        cache.set(key, raw, settings.IMAGE_SCHEMA_CACHE_SECONDS)
    schema = ImageSchema(raw)
    _parsed[glance.endpoint] = (now + settings.IMAGE_SCHEMA_CACHE_SECONDS, schema)
    return schema
