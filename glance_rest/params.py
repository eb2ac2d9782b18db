"""Typed request parameters: query strings and image bodies, checked before
anything reaches Glance, with errors that name the field."""

import dataclasses
import re

from .errors import BadInput

# Query-string spellings of Python values (Horizon's, plus what browsers send).
QUERY_CONSTANTS = {"True": True, "true": True, "False": False, "false": False, "None": None}
VISIBILITIES = ("public", "private", "shared", "community")

# Fields of a create/update body with a meaning of their own; any other field
# is a custom property.
REQUEST_ONLY_FIELDS = frozenset({"source_type", "image_url", "import_data", "data"})
# Dropped, as Horizon drops them: Glance v1's is_public, the create form's
# is_copying, and what an edit form sends back of the image it read (with
# Glance's read-only attributes, taken from its schema, and locations).
IGNORED_FIELDS = frozenset({"is_public", "is_copying", "source", "checksum", "created_at",
                            "updated_at", "deleted", "deleted_at", "virtual_size", "status",
                            "size", "owner", "id", "locations", "import", "upload_url",
                            "token_id"})
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
        if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
            raise BadInput(key, "must not contain NUL characters")
        if key in keywords:
            kwargs[key] = values[-1]
        else:
            filters[key] = values if len(values) > 1 else values[0]
    return filters, kwargs


# --- listings ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Listing:
    """How one list endpoint reads its query string: its own keywords (every
    other parameter is a Glance filter), the sort keys Glance takes, defaults."""

    sort_keys: tuple
    default_sort_key: str
    default_sort_dir: str
    keywords: frozenset = frozenset({"marker", "sort_dir", "sort_key", "paginate",
                                     "reversed_order"})


# The image attributes Glance 33 sorts by (others it refuses or ignores).
IMAGES = Listing(("name", "status", "container_format", "disk_format", "size", "id",
                  "created_at", "updated_at"), "created_at", "desc")
NAMESPACES = Listing(("namespace", "created_at", "updated_at"), "namespace", "asc",
                     Listing.keywords | {"resource_type", "properties_target"})
SORT_DIRS = ("asc", "desc")
# Page sizes are the API's to set (API_RESULT_PAGE_SIZE, API_RESULT_LIMIT).
RESERVED_FILTERS = ("limit", "page_size")
# Filters Glance wants as whole numbers (it answers 500 to some others).
NUMERIC_FILTERS = ("size_min", "size_max", "min_disk", "min_ram")
VISIBILITY_FILTERS = ("public", "private", "shared", "community", "all")
# A member's answer to a share; the list filter also takes "all" (Glance's
# default is "accepted": images shared with me that I have not accepted yet
# are listed only when asked for).
MEMBER_STATUSES = ("pending", "accepted", "rejected")
MEMBER_STATUS_FILTERS = (*MEMBER_STATUSES, "all")
IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")


def listing_query(query, listing):
    """(Glance filters, paging options, other keywords) of a list request."""
    filters, kwargs = split_query(query, listing.keywords)
    for key in RESERVED_FILTERS:
        if key in filters:
            raise BadInput(key, "is set by the API (paginate uses API_RESULT_PAGE_SIZE)")
    marker = kwargs.get("marker")
    if marker is not None and not isinstance(marker, str):
        raise BadInput("marker", "must be an id")
    sort_key = kwargs.get("sort_key", listing.default_sort_key)
    if sort_key not in listing.sort_keys:
        raise BadInput("sort_key", f"{sort_key!r} is not one of {', '.join(listing.sort_keys)}")
    sort_dir = kwargs.get("sort_dir", listing.default_sort_dir)
    if sort_dir not in SORT_DIRS:
        raise BadInput("sort_dir", f"{sort_dir!r} is not asc or desc")
    options = {
        "marker": marker, "sort_key": sort_key, "sort_dir": sort_dir,
        "paginate": as_bool("paginate", kwargs.get("paginate", False)),
        "reversed_order": as_bool("reversed_order", kwargs.get("reversed_order", False)),
    }
    return filters, options, kwargs


def _glance_filters(filters):
    return {k: ("true" if v else "false") if isinstance(v, bool) else v
            for k, v in filters.items() if v is not None}


def image_listing(query):
    """(Glance filters, paging options) of GET /api/glance/images/, with
    Horizon's filter spellings mapped to Glance v2's."""
    filters, options, _ = listing_query(query, IMAGES)
    for key in NUMERIC_FILTERS:
        value = filters.get(key)
        if value is not None and not (isinstance(value, str) and value.isdigit()):
            raise BadInput(key, f"{value!r} is not a whole number")
    visibility = filters.get("visibility")
    if visibility is not None and visibility not in VISIBILITY_FILTERS:
        # Glance answers 500 to an empty one.
        raise BadInput("visibility", f"{visibility!r} is not one of "
                                     f"{', '.join(VISIBILITY_FILTERS)}")
    member_status = filters.get("member_status")
    if member_status is not None and member_status not in MEMBER_STATUS_FILTERS:
        raise BadInput("member_status", f"{member_status!r} is not one of "
                                        f"{', '.join(MEMBER_STATUS_FILTERS)}")
    if "is_public" in filters:
        is_public = filters.pop("is_public")
        if is_public not in (True, False, None):
            raise BadInput("is_public", f"{is_public!r} is not true or false")
        if is_public is not None:
            filters["visibility"] = "public" if is_public else "private"
    if "property-owner_id" in filters:
        filters["owner"] = filters.pop("property-owner_id")
    return _glance_filters(filters), options


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


def as_bool(field, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadInput(field, f"must be true or false, not {value!r}")


# Glance keeps min_disk and min_ram as 32-bit integers.
INT_MAX = 2**31 - 1


def as_int(field, value, minimum=0, maximum=INT_MAX):
    if isinstance(value, bool):
        raise BadInput(field, f"must be a whole number, not {value!r}")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise BadInput(field, f"must be a whole number, not {value!r}")
    if value < minimum:
        raise BadInput(field, f"must be at least {minimum}")
    if value > maximum:
        raise BadInput(field, f"must be at most {maximum}")
    return value


_OUTSIDE_BMP = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")


def as_text(field, value, allow_null=False, max_length=None):
    """A string as Glance takes it: no NUL, nothing outside Unicode's basic
    plane (Glance refuses 4-byte characters in every parameter)."""
    if value is None and allow_null:
        return None
    if not isinstance(value, str):
        raise BadInput(field, f"must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise BadInput(field, "must not contain NUL characters")
    if _OUTSIDE_BMP.search(value):
        raise BadInput(field, "must not contain characters outside Unicode's basic plane")
    if max_length is not None and len(value) > max_length:
        raise BadInput(field, f"must be at most {max_length} characters")
    return value


# Glance keeps custom property names in a 255-character column; values as
# text, 65535 characters on MySQL (what most clouds run). It refuses 4-byte
# (non-BMP) characters in both.
PROPERTY_NAME_MAX = 255
PROPERTY_VALUE_MAX = 65535
# (openapi.json's PropertyName and PropertyValue patterns say the same.)
_NAME_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\U00010000-\U0010ffff]")
_VALUE_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\U00010000-\U0010ffff]")


def property_value(field, value):
    """Glance's custom properties are strings: accept scalars, refuse the rest."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return as_text(field, value)


def property_name(name):
    """A custom property name as Glance can store it."""
    label = name[:40] or "property"
    if not name or len(name) > PROPERTY_NAME_MAX:
        raise BadInput(label, f"property names are 1 to {PROPERTY_NAME_MAX} characters")
    if _NAME_REFUSED.search(name):
        raise BadInput(label, "property names must not contain control characters or "
                              "characters outside Unicode's basic plane")
    return name


def custom_property(schema, name, value):
    """(name, value) of a custom property, checked as Glance stores it and
    against the schema's description of it, if any."""
    property_name(name)
    if not (value is None and name in schema.described):
        value = property_value(name, value)
        if len(value) > PROPERTY_VALUE_MAX:
            raise BadInput(name, f"is longer than {PROPERTY_VALUE_MAX} characters")
        if _VALUE_REFUSED.search(value):
            raise BadInput(name, "must not contain control characters (other than tab and "
                                 "newline) or characters outside Unicode's basic plane")
    problem = schema.custom_value_error(name, value)
    if problem:
        raise BadInput(name, problem)
    return value


def image_attributes(data, schema, creating):
    """Glance attributes (base and custom) for a create or update body.

    On update only the fields present in the body are returned, so anything
    absent is left as it is.
    """
    attrs = {}
    if "name" in data:
        attrs["name"] = as_text("name", data["name"], allow_null=True, max_length=255)
    for field in ("min_disk", "min_ram"):
        if field in data:
            attrs[field] = as_int(field, data[field])
    if "protected" in data:
        attrs["protected"] = as_bool("protected", data["protected"])
    if "visibility" in data:
        if data["visibility"] not in VISIBILITIES:
            raise BadInput("visibility", f"{data['visibility']!r} is not one of "
                                         f"{', '.join(VISIBILITIES)}")
        attrs["visibility"] = data["visibility"]
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list):
            raise BadInput("tags", "must be a list of strings")
        attrs["tags"] = [as_text("tags", tag, max_length=255) for tag in tags]
    attrs.update(_formats(data, schema, creating))

    custom = {}
    for field in PLAIN_PROPERTIES:
        if field in data and data[field] is not None:
            custom[field] = data[field]
    for field, prop in RENAMED_PROPERTIES.items():
        if data.get(field) not in (None, ""):  # Horizon sends "" for "none"
            custom[prop] = data[field]
    if creating:
        given = data.get("properties", {})
        if not isinstance(given, dict):
            raise BadInput("properties", "must be an object")
        custom.update(given)
    # On update a "properties" object is ignored, as Horizon ignores it: its edit
    # wizard sends back the image it read, whose properties are stale by then
    # (custom properties change through top-level fields or .../properties/).
    known = ({"name", "min_disk", "min_ram", "protected", "visibility", "tags", "disk_format",
              "container_format", "properties"} | REQUEST_ONLY_FIELDS | IGNORED_FIELDS
             | schema.read_only | set(PLAIN_PROPERTIES) | set(RENAMED_PROPERTIES))
    custom.update({k: v for k, v in data.items() if k not in known})
    for key, value in custom.items():
        if key in schema.read_only:
            raise BadInput(key, "is read-only")
        if key in schema.base:
            if key == "os_hidden":
                attrs[key] = as_bool(key, value)
                continue
            raise BadInput(key, "cannot be set here")
        attrs[key] = custom_property(schema, key, value)
    return attrs


def _formats(data, schema, creating):
    disk = data.get("disk_format")
    container = data.get("container_format")
    for field, value in (("disk_format", disk), ("container_format", container)):
        if value is not None and not isinstance(value, str):
            raise BadInput(field, f"must be a string, not {type(value).__name__}")
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
    if not isinstance(value, str) or (allowed and value not in allowed):
        raise BadInput(field, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def property_changes(data, schema):
    """``{"updated": {...}, "removed": [...]}`` of the properties PATCH."""
    if "updated" not in data:
        raise BadInput("updated", "is required (an object of properties to set)")
    updated, removed = data["updated"], data.get("removed", [])
    if not isinstance(updated, dict):
        raise BadInput("updated", "must be an object")
    if not isinstance(removed, list) or not all(isinstance(k, str) for k in removed):
        raise BadInput("removed", "must be a list of property names")
    changes = {}
    for key, value in updated.items():
        if key == "os_hidden":
            changes[key] = as_bool(key, value)
        elif key in schema.base or key in ("os_hash_algo", "os_hash_value"):
            raise BadInput(key, "is not a custom property and cannot be changed here")
        else:
            changes[key] = custom_property(schema, key, value)
    for key in removed:
        if key in schema.base:
            raise BadInput(key, "is not a custom property and cannot be removed")
        property_name(key)
    return changes, removed


# --- sharing, tags, stores, import ----------------------------------------------
def name_segment(field, value, max_length=255):
    """A tag, project, store or namespace as a URL or body names it: 1 to
    ``max_length`` characters, the characters a property name may have."""
    if not isinstance(value, str):
        raise BadInput(field, f"must be a string, not {type(value).__name__}")
    if not value or len(value) > max_length:
        raise BadInput(field, f"must be 1 to {max_length} characters")
    if _NAME_REFUSED.search(value):
        raise BadInput(field, "must not contain control characters or characters outside "
                              "Unicode's basic plane")
    return value


def member_id(data):
    """The project of ``{"member": "<project id>"}``."""
    if "member" not in data:
        raise BadInput("member", "is required: the id of the project to share with")
    return name_segment("member", data["member"])


def member_status(data):
    status = data.get("status")
    if status not in MEMBER_STATUSES:
        raise BadInput("status", f"{status!r} is not one of {', '.join(MEMBER_STATUSES)}")
    return status


def import_request(data):
    """Keyword arguments of glance.image_import for an import body."""
    unknown = sorted(set(data) - {"method", "uri", "stores", "all_stores",
                                  "all_stores_must_succeed"})
    if unknown:
        raise BadInput(unknown[0], "is not an import field")
    method = data.get("method")
    if method not in IMPORT_METHODS:
        raise BadInput("method", f"{method!r} is not one of {', '.join(IMPORT_METHODS)}")
    uri = data.get("uri")
    if method == "web-download":
        if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
            raise BadInput("uri", "web-download needs an http:// or https:// URL")
        as_text("uri", uri, max_length=2048)
    elif uri is not None:
        raise BadInput("uri", f"is only taken by web-download, not {method}")
    stores = data.get("stores")
    if stores is not None:
        if not isinstance(stores, list) or not stores:
            raise BadInput("stores", "must be a non-empty list of store ids")
        stores = [name_segment("stores", store) for store in stores]
    all_stores = as_bool("all_stores", data.get("all_stores", False))
    if all_stores and stores:
        raise BadInput("all_stores", "give either stores or all_stores, not both")
    return {"method": method, "uri": uri, "stores": stores, "all_stores": all_stores,
            "all_stores_must_succeed": as_bool(
                "all_stores_must_succeed", data.get("all_stores_must_succeed", True))}


def store_query(query):
    """The ``store`` of ``PUT .../data/?store=<id>`` (None: Glance's default)."""
    unknown = sorted(set(query) - {"store"})
    if unknown:
        raise BadInput(unknown[0], "is not a parameter here (only store)")
    return name_segment("store", query["store"]) if "store" in query else None


_BYTE_RANGE = re.compile(r"bytes=(\d{1,19}-\d{0,19}|-\d{1,19})")


def byte_range(value):
    """A Range header Glance serves: one ``bytes=`` range (else None; 416)."""
    value = value.strip()
    return value if _BYTE_RANGE.fullmatch(value) else None
