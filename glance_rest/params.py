"""Request parameters as the glance wrapper takes them.

Types, lengths, patterns, enums and unknown fields are checked before a view
runs, against openapi.json (``contract``). What is left here is what the
document cannot say: Horizon's spellings (query constants, renamed fields,
format rules), defaults, and the rules that need Glance's own image schema
(the cloud's formats, read-only and base attributes).
"""

import dataclasses
import re

from . import contract
from .errors import BadInput

# Query-string spellings of Python values (Horizon's, plus what browsers send).
QUERY_CONSTANTS = {"True": True, "true": True, "False": False, "false": False, "None": None}

# The fields a create or update body declares; any other is a custom property.
# Those declared read-only (what Horizon's edit form sends back) are dropped,
# and so are the read-only attributes of the cloud's own image schema.
DECLARED_FIELDS = contract.body_fields("createImage")
# Body names that Horizon maps onto custom properties of another name.
RENAMED_PROPERTIES = {"kernel": "kernel_id", "ramdisk": "ramdisk_id"}
PLAIN_PROPERTIES = ("description", "architecture")

# Horizon's format rules: some disk formats imply the container.
FORMAT_RULES = {
    "ami": ("ami", "ami"),
    "aki": ("aki", "aki"),
    "ari": ("ari", "ari"),
    "docker": ("raw", "docker"),
    "vhd": ("vhd", "ovf"),
    "ova": ("vmdk", "ova"),
}


def query_value(raw):
    return QUERY_CONSTANTS.get(raw, raw)


def split_query(query, keywords):
    """Split a QueryDict into (filters, keyword arguments); repeated filters
    (``tag=a&tag=b``) stay lists."""
    filters, kwargs = {}, {}
    for key in query:
        values = [query_value(v) for v in query.getlist(key)]
        if key in keywords:
            kwargs[key] = values[-1]
        else:
            filters[key] = values if len(values) > 1 else values[0]
    return filters, kwargs


# --- listings ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Listing:
    """How one list endpoint reads its query string: its own keywords (every
    other parameter is a Glance filter) and its default order."""

    default_sort_key: str
    default_sort_dir: str
    keywords: frozenset = frozenset({"marker", "sort_dir", "sort_key", "paginate",
                                     "reversed_order"})


IMAGES = Listing("created_at", "desc")
# An administrator's list of every project's images: Horizon's admin order.
ADMIN_IMAGES = Listing("name", "asc", Listing.keywords | {"orphaned"})
NAMESPACES = Listing("namespace", "asc",
                     Listing.keywords | {"resource_type", "properties_target"})
# Page sizes are the API's to set (API_RESULT_PAGE_SIZE, API_RESULT_LIMIT).
RESERVED_FILTERS = ("limit", "page_size")


def listing_query(query, listing):
    """(Glance filters, paging options, other keywords) of a list request."""
    filters, kwargs = split_query(query, listing.keywords)
    for key in RESERVED_FILTERS:
        if key in filters:
            raise BadInput(key, "is set by the API (paginate uses API_RESULT_PAGE_SIZE)")
    marker = kwargs.get("marker")
    if marker is not None and not isinstance(marker, str):
        raise BadInput("marker", "must be an id")
    options = {
        "marker": marker,
        "sort_key": kwargs.get("sort_key", listing.default_sort_key),
        "sort_dir": kwargs.get("sort_dir", listing.default_sort_dir),
        "paginate": as_bool(kwargs.get("paginate", False)),
        "reversed_order": as_bool(kwargs.get("reversed_order", False)),
    }
    return filters, options, kwargs


def _glance_filters(filters):
    return {k: ("true" if v else "false") if isinstance(v, bool) else v
            for k, v in filters.items() if v is not None}


def image_listing(query, listing=IMAGES):
    """(Glance filters, paging options) of GET /api/glance/images/, with
    Horizon's filter spellings mapped to Glance v2's."""
    filters, options, _ = listing_query(query, listing)
    if "is_public" in filters:
        is_public = filters.pop("is_public")
        if is_public is not None:
            filters["visibility"] = "public" if is_public else "private"
    if "property-owner_id" in filters:
        filters["owner"] = filters.pop("property-owner_id")
    if isinstance(filters.get("name"), str):
        filters["name"] = exact_name(filters["name"])
    return _glance_filters(filters), options


def admin_image_listing(query):
    """(Glance filters, paging options, orphaned) of GET /api/glance/admin/images/:
    ``project`` is Glance's ``owner`` filter."""
    filters, options = image_listing(query, ADMIN_IMAGES)
    if "project" in filters:
        filters["owner"] = filters.pop("project")
    return filters, options, as_bool(query.get("orphaned", "false"))


# Glance reads name=a:b as operator a (only eq and in exist), so an image named
# ubuntu:22.04 could not be found by its name: such a name is sent as eq:NAME.
NAME_OPERATORS = ("eq:", "in:")


def exact_name(name):
    """The name filter Glance reads as ``name`` itself, unless it starts with
    one of Glance's operators (the caller means it)."""
    if ":" in name and not name.startswith(NAME_OPERATORS):
        return "eq:" + name
    return name


def namespace_listing(query):
    """(Glance filters, paging options, resource_type, properties_target) of
    GET /api/glance/metadefs/namespaces/."""
    filters, options, kwargs = listing_query(query, NAMESPACES)
    resource_type = kwargs.get("resource_type")
    if resource_type is not None and not isinstance(resource_type, str):
        raise BadInput("resource_type", "must be a resource type name")
    target = kwargs.get("properties_target")
    if target is not None and not isinstance(target, str):
        raise BadInput("properties_target", "must be a properties target name")
    return _glance_filters(filters), options, resource_type, target


def as_bool(value):
    """A checked boolean, or its query spelling (``true``, ``False``)."""
    return value if isinstance(value, bool) else value.lower() == "true"


# --- image bodies ----------------------------------------------------------------
def property_value(value):
    """Glance's custom properties are strings: scalars are kept as their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def custom_property(schema, name, value):
    """A custom property's value, checked against the image schema's
    description of it, if any."""
    value = property_value(value)
    problem = schema.custom_value_error(name, value)
    if problem:
        raise BadInput(name, problem)
    return value


def base_attribute_as_property(key, value):
    """A base attribute sent among custom properties: Glance's os_hidden is
    taken there too (Horizon sends it with the properties); others refused."""
    if key != "os_hidden":
        raise BadInput(key, "is not a custom property and cannot be set here")
    if not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
        raise BadInput(key, f"must be true or false, not {value!r}")
    return as_bool(value)


def image_attributes(data, schema, creating):
    """Glance attributes (base and custom) for a create or update body
    (checked against openapi.json).

    On update only the fields present in the body are returned, so anything
    absent is left as it is.
    """
    attrs = {field: data[field] for field in ("name", "protected", "visibility", "tags",
                                              "os_hidden")
             if field in data}
    for field in ("min_disk", "min_ram"):
        if field in data:
            attrs[field] = int(data[field])
    attrs.update(_formats(data, schema, creating))

    custom = {field: data[field] for field in PLAIN_PROPERTIES
              if data.get(field) is not None}
    for field, prop in RENAMED_PROPERTIES.items():
        if data.get(field) not in (None, ""):  # Horizon sends "" for "none"
            custom[prop] = data[field]
    if creating:
        custom.update(data.get("properties", {}))
    # On update a "properties" object is ignored, as Horizon ignores it: its edit
    # wizard sends back the image it read, whose properties are stale by then
    # (custom properties change through top-level fields or .../properties/).
    custom.update({k: v for k, v in data.items()
                   if k not in DECLARED_FIELDS and k not in schema.read_only})
    for key, value in custom.items():
        if key in schema.read_only:
            raise BadInput(key, "is read-only")
        if key in schema.base:
            attrs[key] = base_attribute_as_property(key, value)
        else:
            attrs[key] = custom_property(schema, key, value)
    return attrs


def _formats(data, schema, creating):
    disk = data.get("disk_format")
    container = data.get("container_format") or None  # Horizon sends "" for none
    if disk is None:
        if creating and container is None:
            return {}
        return {} if container is None else {"container_format": _check(
            "container_format", container, schema.container_formats)}
    disk, implied = FORMAT_RULES.get(disk, (disk, None))
    container = implied or container or "bare"
    return {
        "disk_format": _check("disk_format", disk, schema.disk_formats),
        "container_format": _check("container_format", container, schema.container_formats),
    }


def formats_for(detected, schema):
    """disk_format and container_format for data recognised as ``detected``."""
    disk, container = FORMAT_RULES.get(detected, (detected, "bare"))
    if schema.disk_formats and disk not in schema.disk_formats:
        raise BadInput("data", f"is a {detected} image, which Glance does not take")
    return {"disk_format": disk, "container_format": container}


def _check(field, value, allowed):
    """A format this cloud's Glance takes (its schema's list may be shorter
    than the standard one openapi.json declares)."""
    if allowed and value not in allowed:
        raise BadInput(field, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def property_changes(data, schema):
    """``{"updated": {...}, "removed": [...]}`` of the properties PATCH."""
    changes = {}
    for key, value in data["updated"].items():
        if key in schema.base or key in schema.read_only:
            changes[key] = base_attribute_as_property(key, value)
        else:
            changes[key] = custom_property(schema, key, value)
    removed = data.get("removed", [])
    for key in removed:
        if key in schema.base:
            raise BadInput(key, "is not a custom property and cannot be removed")
    return changes, removed


# --- import, download ------------------------------------------------------------
def import_request(data):
    """Keyword arguments of glance.image_import for an import body (checked
    against openapi.json, the rules between its fields included)."""
    return {"method": data["method"], "uri": data.get("uri"), "stores": data.get("stores"),
            "all_stores": data.get("all_stores", False),
            "all_stores_must_succeed": data.get("all_stores_must_succeed", True)}


_BYTE_RANGE = re.compile(r"bytes=(\d{1,19}-\d{0,19}|-\d{1,19})")


def byte_range(value):
    """A Range header Glance serves: one ``bytes=`` range, else None."""
    value = value.strip()
    return value if _BYTE_RANGE.fullmatch(value) else None
