"""The Glance wrapper, owning what the views should not: pagination in both
directions, filters, and the split of an image into Glance's base attributes
and its custom ``properties``.

Glance is called through python-glanceclient with the caller's own token
(``backend.glance_client``): its managers where they make the one request an
operation needs, else the same client's ``http_client`` with that request (each
such function says why). The image schema is fetched once per Glance endpoint
and cache period, through Django's cache.
"""

import json
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import jsonschema
from django.core.cache import cache
from glanceclient import exc as glance_exc
from keystoneauth1 import adapter as ks_adapter

from . import auth, backend, uploads
from .caching import cache_key
from .conf import settings
from .errors import ApiError

# Attributes Glance returns that are about where the data lives, shown by the
# single-image GET only (Horizon's "extended attributes").
EXTENDED_ATTRIBUTES = frozenset({"file", "locations", "schema", "self", "direct_url"})
# Glance refuses larger pages (api_limit_max).
GLANCE_MAX_PAGE = 1000

_namespace_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="metadefs")
# Glance endpoint -> (monotonic deadline, ImageSchema), see Glance.schema.
# Endpoints come from Keystone's catalogs: a handful per cloud.
_parsed_schemas = {}
# Glance's media type for JSON-patch bodies (v2.1: "add" replaces too).
JSON_PATCH = "application/openstack-images-v2.1-json-patch"


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


def _unversioned(url):
    """Catalogs may register Glance with a version suffix (".../v2"); the
    paths here carry their own, as glanceclient strips it too."""
    url = url.rstrip("/")
    return url[:-3] if url.endswith(("/v2", "/v1")) else url


class Glance:
    """python-glanceclient bound to one caller's credentials and Glance endpoint."""

    def __init__(self, credentials):
        self.credentials = credentials
        self.endpoint = self.endpoint_for(auth.interface_name(settings.OPENSTACK_ENDPOINT_TYPE))
        self.client = backend.glance_client(self.endpoint, credentials.token)

    def endpoint_for(self, interface):
        return _unversioned(self.credentials.endpoint("image", interface))

    def get(self, path):
        """The decoded JSON of one GET (glanceclient's http_client)."""
        return self.client.http_client.get(path)[1]

    def schema(self):
        """Glance's image schema, fetched once per endpoint and cache period
        (it is the same for every caller of that Glance). Each process also
        keeps the parsed schema for that period from when it first read it:
        reading it back from Django's cache (unpickling, parsing) on every
        request cost more than the rest of the API's own work on a GET."""
        now = time.monotonic()
        kept = _parsed_schemas.get(self.endpoint)
        if kept is not None and kept[0] > now:
            return kept[1]
        key = cache_key("image-schema", self.endpoint)
        raw = cache.get(key)
        if raw is None:
            raw = self.client.schemas.get("image").raw()
            cache.set(key, raw, settings.IMAGE_SCHEMA_CACHE_SECONDS)
        schema = ImageSchema(raw)
        _parsed_schemas[self.endpoint] = (now + settings.IMAGE_SCHEMA_CACHE_SECONDS, schema)
        return schema


# --- pagination -----------------------------------------------------------------
def flip(sort_dir):
    return "asc" if sort_dir == "desc" else "desc"


def page(fetch, *, marker, sort_dir, paginate, reversed_order, page_size, limit):
    """One page of a listing, in the requested order, with Horizon's flags.

    ``fetch(marker, sort_dir, count)`` returns up to ``count`` items after
    ``marker`` in that direction. A page before ``marker`` (``reversed_order``)
    is fetched in the opposite direction and then reversed, which restores
    the requested order exactly whatever the sort key's type.
    """
    count = page_size + 1 if paginate else limit
    direction = flip(sort_dir) if reversed_order else sort_dir
    items = fetch(marker=marker, sort_dir=direction, count=count)
    has_more = has_prev = False
    if paginate:
        if len(items) > page_size:
            items = items[:page_size]
            # Fetched backwards, the extra item lies before this page.
            if reversed_order:
                has_prev, has_more = True, True
            else:
                has_more, has_prev = True, marker is not None
        elif reversed_order:
            has_more = marker is not None
        else:
            has_prev = marker is not None
        if reversed_order:
            items.reverse()
    return items, has_more, has_prev


def listing(fetch, *, marker, sort_dir, paginate, reversed_order, page_size, **_):
    """A page of ``page_size`` (the caller's, conf.page_size), or up to
    API_RESULT_LIMIT items unpaged; the options are checked by params.py."""
    return page(fetch, marker=marker, sort_dir=sort_dir, paginate=paginate,
                reversed_order=reversed_order, page_size=page_size,
                limit=settings.API_RESULT_LIMIT)


def _fetch_all(glance, path, key, params, count, keep=None):
    """Follow Glance's ``next`` links until ``count`` items (those ``keep``
    accepts, if given) are collected."""
    items = []
    query = dict(params)
    query["limit"] = min(count, GLANCE_MAX_PAGE)
    url = f"{path}?{urllib.parse.urlencode(query, doseq=True)}"
    while url and len(items) < count:
        body = glance.get(url)
        items.extend(item for item in body.get(key, []) if keep is None or keep(item))
        url = body.get("next")
    return items[:count]


# --- images ---------------------------------------------------------------------
def image_list(glance, filters, options):
    """A page of images: ``filters`` and ``options`` as params.image_listing
    made them."""
    sort_key = options["sort_key"]

    def fetch(marker, sort_dir, count):
        params = dict(filters)
        # id breaks ties, so that marker paging is stable and reversible.
        keys = [sort_key] if sort_key == "id" else [sort_key, "id"]
        params["sort_key"] = keys
        params["sort_dir"] = [sort_dir] * len(keys)
        if marker:
            params["marker"] = marker
        try:
            return _fetch_all(glance, "/v2/images", "images", params, count)
        except glance_exc.HTTPBadRequest as error:
            # Glance answers 400 to an unknown image marker, 404 to an unknown
            # namespace marker: one answer for both, the marker's item is gone.
            if marker and "No image found" in error.details:
                raise ApiError(404, f"marker: no image {marker!r} (deleted, or not visible "
                                    "to you)", field="marker") from None
            raise

    raw, has_more, has_prev = listing(fetch, **options)
    schema = glance.schema()
    return [image_to_dict(image, schema) for image in raw], has_more, has_prev


def image_to_dict(raw, schema, extended=False):
    """Base attributes at the top level, custom ones under ``properties``."""
    image = {}
    properties = {}
    for key, value in raw.items():
        if key in schema.base:
            if extended or key not in EXTENDED_ATTRIBUTES:
                image[key] = value
        else:
            properties[key] = value
    image["properties"] = properties
    image["is_public"] = raw.get("visibility") == "public"
    # Glance lists the stores holding the data as one comma-separated string.
    if isinstance(image.get("stores"), str):
        image["stores"] = [store for store in image["stores"].split(",") if store]
    return image


def image_get_raw(glance, image_id):
    """The image as Glance gives it (``images.get`` would also build and
    validate a schema model of it, which nothing here needs)."""
    return glance.get(f"/v2/images/{_quote(image_id)}")


def image_get(glance, image_id):
    raw = image_get_raw(glance, image_id)
    image = image_to_dict(raw, glance.schema(), extended=True)
    if import_in_question(raw):
        image["import"] = import_status(glance, image_id)
    return image


def import_in_question(raw):
    """Whether an import is running or failed: only then are tasks worth a call."""
    return (raw.get("status") == "importing" or bool(raw.get("os_glance_importing_to_stores"))
            or bool(raw.get("os_glance_failed_import")))


def import_status(glance, image_id):
    """The latest import task of the image: its status and Glance's message
    (None without one, or when this Glance has no image-tasks API)."""
    try:
        tasks = image_tasks(glance, image_id)
    except (glance_exc.HTTPNotFound, glance_exc.HTTPMethodNotAllowed):
        return None
    if not tasks:
        return None
    task = tasks[0]
    return {"task_id": task.get("id"), "status": task.get("status"),
            "message": task.get("message") or "", "updated_at": task.get("updated_at")}


def _quote(image_id, what="image"):
    """A path segment; ids no Glance could hold are simply not found."""
    if any(ord(c) < 0x20 or c == "\x7f" for c in image_id) or len(image_id) > 1024:
        raise ApiError(404, f"No {what} with that id.")
    return urllib.parse.quote(image_id, safe="")


def image_create(glance, attributes):
    """One POST (``images.create`` would first build a schema model and check
    every attribute against it: params.py has, and Glance does again)."""
    return glance.client.http_client.post("/v2/images", data=attributes)[1]


def json_pointer(key):
    """The JSON-patch path of attribute ``key`` (RFC 6901 escaping)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _patch(glance, image_id, ops):
    """One JSON-patch request (``images.update`` reads the image before and
    after: three requests)."""
    return glance.client.http_client.patch(f"/v2/images/{_quote(image_id)}",
                                           headers={"Content-Type": JSON_PATCH},
                                           data=json.dumps(ops))[1]


def image_update(glance, image_id, changes):
    """Apply ``changes`` (base and custom attributes) with one JSON-patch;
    keys absent are left alone. The image is read first so that unchanged
    values are not sent: Glance refuses even a no-op change of some attributes
    (disk_format of an active image), and Horizon's edit form sends them all."""
    current = image_get_raw(glance, image_id)
    ops = [{"op": "add", "path": json_pointer(key), "value": value}
           for key, value in changes.items() if current.get(key, object()) != value]
    return _patch(glance, image_id, ops) if ops else current


def image_update_properties(glance, image_id, changes, removed=()):
    """Set and remove custom properties with one JSON-patch and no read first:
    under the v2.1 patch media type "add" sets a property whether or not it
    exists. Only removing an absent property makes Glance answer 409; then
    read the image once and remove just what is there."""
    ops = [{"op": "add", "path": json_pointer(key), "value": value}
           for key, value in changes.items()]
    removals = [key for key in removed if key not in changes]
    if not ops and not removals:
        image_get_raw(glance, image_id)  # nothing to change: still 404 for no such image
        return
    try:
        _patch(glance, image_id,
               ops + [{"op": "remove", "path": json_pointer(key)} for key in removals])
    except glance_exc.HTTPConflict:
        if not removals:
            raise
        current = image_get_raw(glance, image_id)
        present = [key for key in removals if key in current]
        _patch(glance, image_id,
               ops + [{"op": "remove", "path": json_pointer(key)} for key in present])


def image_delete(glance, image_id):
    glance.client.images.delete(_quote(image_id))


def image_action(glance, image_id, action):
    """``deactivate`` or ``reactivate``."""
    getattr(glance.client.images, action)(_quote(image_id))


def image_add_location(glance, image_id, url):
    """One JSON-patch (``images.add_location`` reads the image before and after)."""
    _patch(glance, image_id,
           [{"op": "add", "path": "/locations/-", "value": {"url": url, "metadata": {}}}])


def image_import_from_url(glance, image_id, url):
    glance.client.images.image_import(_quote(image_id), method="web-download", uri=url)


def image_upload(glance, image_id, chunks, size=None, store=None):
    """Send ``chunks`` (an iterable of bytes) to Glance as they come (chunked;
    Glance is told the size when it is known), into ``store`` if given (else
    Glance's default store)."""
    glance.client.images.upload(_quote(image_id), uploads.ChunkReader(chunks), image_size=size,
                                backend=store)


def image_download(glance, image_id):
    """The image's data as glanceclient streams it (an iterable with ``length``),
    or None when the image has none. Not checksummed here: the API answers
    with the image's hashes, and checking them would cost the whole download's
    CPU on the server, only to fail after the bytes were sent."""
    body = glance.client.images.data(_quote(image_id), do_checksum=False)
    return None if body is None or body.__wrapped__ is None else body


def upload_url(glance, image_id):
    """Where a browser sends the data itself: Glance's public endpoint, whatever
    interface the API uses (OPENSTACK_ENDPOINT_TYPE may name an internal one)."""
    return f"{glance.endpoint_for('public')}/v2/images/{_quote(image_id)}/file"


# --- metadata definitions ---------------------------------------------------------
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
        return _fetch_all(glance, "/v2/metadefs/namespaces", "namespaces", params, count, keep)

    summaries, has_more, has_prev = listing(fetch, **options)
    query = f"?resource_type={urllib.parse.quote(resource_type)}" if resource_type else ""
    endpoint = glance.endpoint

    def full(summary):
        # The listing (made with the caller's token) decides what the caller may
        # see; a body cached for exactly that summary is then safe to reuse, and
        # any change the summary shows (updated_at, description, associations...)
        # is a new key.
        # (metadefs_namespace.get would also fetch the namespace schema and
        # validate a model of the body.)
        key = cache_key("namespace", endpoint, resource_type or "",
                        json.dumps(summary, sort_keys=True))
        body = cache.get(key)
        if body is None:
            body = glance.get(f"/v2/metadefs/namespaces/{_quote(summary['namespace'])}{query}")
            if settings.METADEFS_CACHE_SECONDS:
                cache.set(key, body, settings.METADEFS_CACHE_SECONDS)
        return body

    # Glance lists summaries only: fetch the full namespaces side by side.
    return backend.run_in_context(_namespace_pool, full, summaries), has_more, has_prev


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


# --- sharing and tags -------------------------------------------------------------
MEMBER_FIELDS = ("member_id", "image_id", "status", "created_at", "updated_at")


def _member(body):
    return {key: body.get(key) for key in MEMBER_FIELDS}


def _members_path(image_id, member_id=None):
    path = f"/v2/images/{_quote(image_id)}/members"
    return f"{path}/{_quote(member_id, 'member')}" if member_id else path


def member_list(glance, image_id):
    """One GET (``image_members.list`` would fetch the member schema first and
    build a model of each member)."""
    return [_member(m) for m in glance.get(_members_path(image_id)).get("members", [])]


def member_add(glance, image_id, member_id):
    """Share the image with project ``member_id``. Glance 33 accepts members on
    an image of any visibility and then ignores them unless it is ``shared``:
    the image is read first, and such a request refused with what to do
    (visibility is never changed behind the owner's back)."""
    image = image_get_raw(glance, image_id)
    if image.get("visibility") != "shared":
        raise ApiError(409, f"The image's visibility is {image.get('visibility')!r}: set it "
                            "to 'shared' first, then add members.")
    return _member(glance.client.http_client.post(_members_path(image_id),
                                                  data={"member": member_id})[1])


def member_update(glance, image_id, member_id, status):
    """One PUT (``image_members.update`` would also fetch the member schema)."""
    return _member(glance.client.http_client.put(_members_path(image_id, member_id),
                                                 data={"status": status})[1])


def member_delete(glance, image_id, member_id):
    glance.client.image_members.delete(_quote(image_id), _quote(member_id, "member"))


def tag_add(glance, image_id, tag):
    glance.client.image_tags.update(_quote(image_id), _quote(tag, "tag"))


def tag_delete(glance, image_id, tag):
    glance.client.image_tags.delete(_quote(image_id), _quote(tag, "tag"))


# --- staging, import, stores, tasks -------------------------------------------------
def image_stage(glance, image_id, chunks, size=None):
    """Stream ``chunks`` into Glance's staging area (for a glance-direct import)."""
    glance.client.images.stage(_quote(image_id), uploads.ChunkReader(chunks), image_size=size)


def image_import(glance, image_id, method, uri=None, stores=None, all_stores=False,
                 all_stores_must_succeed=True):
    """Start an import (Glance answers 202 and works on in the background)."""
    glance.client.images.image_import(
        _quote(image_id), method=method, uri=uri, stores=stores or None,
        all_stores=all_stores or None, allow_failure=not all_stores_must_succeed)


def image_delete_from_store(glance, image_id, store):
    glance.client.images.delete_from_store(_quote(store, "store"), _quote(image_id))


TASK_FIELDS = ("id", "type", "status", "message", "created_at", "updated_at", "result")


def image_tasks(glance, image_id):
    """The image's tasks, newest first. One GET: ``images.get_associated_image_tasks``
    asks Glance's version list first, a second request for what a 404 says as well."""
    body = glance.get(f"/v2/images/{_quote(image_id)}/tasks")
    tasks = [{key: task.get(key) for key in TASK_FIELDS} for task in body.get("tasks", [])]
    return sorted(tasks, key=lambda t: t.get("created_at") or "", reverse=True)


class Download:
    """One image's data as Glance streams it: ``chunks``, ``status`` (200, or
    206 for a range) and the headers worth passing on."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.headers = {name: response.headers[name]
                        for name in ("Content-Length", "Content-Range")
                        if name in response.headers}

    def chunks(self):
        try:
            yield from self.response.iter_content(uploads.CHUNK_SIZE)
        finally:
            self.response.close()


def image_download_range(glance, image_id, byte_range):
    """The image's data for a ``Range`` header value (one ``bytes=`` range),
    or None when the image has none. Sent through the keystoneauth1 adapter
    that glanceclient's ``http_client`` is, without glanceclient's own
    ``request``: it percent-encodes header values, and Glance would get
    ``bytes%3D0-9``, an invalid range."""
    response = ks_adapter.Adapter.request(
        glance.client.http_client, f"/v2/images/{_quote(image_id)}/file", "GET",
        headers={"Range": byte_range}, stream=True, raise_exc=False)
    if response.status_code >= 400:
        content = response.content
        response.close()
        raise glance_exc.from_response(response, content)
    if response.status_code == 204:
        response.close()
        return None
    return Download(response)


# --- metadefs: one namespace -----------------------------------------------------------
def metadefs_namespace(glance, namespace, resource_type=None):
    """One full namespace, its properties prefixed for ``resource_type``
    (one GET: ``metadefs_namespace.get`` would fetch the namespace schema and
    validate a model of the body)."""
    query = f"?resource_type={urllib.parse.quote(resource_type)}" if resource_type else ""
    return glance.get(f"/v2/metadefs/namespaces/{_quote(namespace, 'namespace')}{query}")
