"""Images: listing, reading (base attributes and custom ``properties``),
creating, changing, deleting, their data in and out."""

import json

from .. import uploads
from ..errors import ApiError, GlanceError
from .client import quote
from .paging import listing, scan
from .stores import image_tasks

# Attributes Glance returns that are about where the data lives, shown by the
# single-image GET only (Horizon's "extended attributes").
EXTENDED_ATTRIBUTES = frozenset({"file", "locations", "schema", "self", "direct_url"})
# The prefix of the properties Glance keeps for itself: an import's task and
# stores (glance/api/v2/images.py refuses them to users: "is reserved").
GLANCE_RESERVED = "os_glance_"
# Glance's media type for JSON-patch bodies (v2.1: "add" replaces too).
JSON_PATCH = "application/openstack-images-v2.1-json-patch"


def image_list(glance, filters, options):
    """A page of images: ``filters`` and ``options`` as params.image_listing
    made them. (items, has_more, has_prev)"""
    return _listing(glance, filters, options)[:3]


def image_scan(glance, filters, options, sieve, most):
    """A page of the images ``sieve`` keeps (a test Glance cannot apply, see
    paging.scan), reading at most ``most`` of Glance's images. (items,
    has_more, has_prev, resume): ``resume``, when the scan stopped short, is
    the marker to carry on from, and the flag of that direction is set."""
    return _listing(glance, filters, options, sieve, most)


def _listing(glance, filters, options, sieve=None, most=None):
    sort_key = options["sort_key"]
    stopped = []

    def fetch(marker, sort_dir, count):
        params = dict(filters)
        # id breaks ties, so that marker paging is stable and reversible.
        keys = [sort_key] if sort_key == "id" else [sort_key, "id"]
        params["sort_key"] = keys
        params["sort_dir"] = [sort_dir] * len(keys)
        if marker:
            params["marker"] = marker
        try:
            items, resume = scan(glance, "/v2/images", "images", params, count, sieve, most,
                                 marker_key="id")
        except GlanceError as error:
            # Glance answers 400 to an unknown image marker, 404 to an unknown
            # namespace marker: one answer for both, the marker's item is gone.
            if marker and error.status == 400 and "No image found" in error.message:
                raise ApiError(404, f"marker: no image {marker!r} (deleted, or not visible "
                                    "to you)", field="marker") from None
            raise
        stopped.append(resume)
        return items

    raw, has_more, has_prev = listing(fetch, **options)
    resume = stopped[-1] if stopped else None
    if resume:
        if options["reversed_order"]:
            has_prev = True
        else:
            has_more = True
    schema = glance.schema()
    return [image_to_dict(image, schema) for image in raw], has_more, has_prev, resume


def image_to_dict(raw, schema, extended=False):
    """Base attributes at the top level, custom ones under ``properties``;
    Glance's own bookkeeping (``os_glance_*``) in neither: no user set it, and
    Glance refuses to let one change it."""
    image = {}
    properties = {}
    for key, value in raw.items():
        if key in schema.base:
            if extended or key not in EXTENDED_ATTRIBUTES:
                image[key] = value
        elif not key.startswith(GLANCE_RESERVED):
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
    return glance.get(f"/v2/images/{quote(image_id)}")


def image_get(glance, image_id):
    raw = image_get_raw(glance, image_id)
    image = image_to_dict(raw, glance.schema(), extended=True)
    if import_in_question(raw):
        image["import"] = import_status(glance, image_id)
    return image


def import_in_question(raw):
    """Whether an import is running or failed: only then are tasks worth a call.
    Glance names the import's task (``os_glance_import_task``) as it accepts
    it, while the image is still ``uploading``, and drops it when done."""
    return (raw.get("status") == "importing" or bool(raw.get("os_glance_import_task"))
            or bool(raw.get("os_glance_importing_to_stores"))
            or bool(raw.get("os_glance_failed_import")))


def import_status(glance, image_id):
    """The latest import task of the image: its status and Glance's message
    (None without one, or when this Glance has no image-tasks API)."""
    try:
        tasks = image_tasks(glance, image_id)
    except GlanceError as error:
        if error.status in (404, 405):  # a Glance without the image-tasks API
            return None
        raise
    if not tasks:
        return None
    task = tasks[0]
    return {"task_id": task.get("id"), "status": task.get("status"),
            "message": task.get("message") or "", "updated_at": task.get("updated_at")}


def image_create(glance, attributes):
    """One POST (``images.create`` would first build a schema model and check
    every attribute against it: params.py has, and Glance does again)."""
    return glance.post("/v2/images", attributes)


def json_pointer(key):
    """The JSON-patch path of attribute ``key`` (RFC 6901 escaping)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _patch(glance, image_id, ops):
    """One JSON-patch request (``images.update`` reads the image before and
    after: three requests)."""
    return glance.patch(f"/v2/images/{quote(image_id)}", json.dumps(ops), JSON_PATCH)


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
    except GlanceError as error:
        if error.status != 409 or not removals:
            raise
        current = image_get_raw(glance, image_id)
        present = [key for key in removals if key in current]
        _patch(glance, image_id,
               ops + [{"op": "remove", "path": json_pointer(key)} for key in present])


def image_delete(glance, image_id):
    glance.client.images.delete(quote(image_id))


def image_action(glance, image_id, action):
    """``deactivate`` or ``reactivate``."""
    getattr(glance.client.images, action)(quote(image_id))


def image_add_location(glance, image_id, url):
    """One JSON-patch (``images.add_location`` reads the image before and after)."""
    _patch(glance, image_id,
           [{"op": "add", "path": "/locations/-", "value": {"url": url, "metadata": {}}}])


def image_import_from_url(glance, image_id, url):
    glance.client.images.image_import(quote(image_id), method="web-download", uri=url)


def image_upload(glance, image_id, chunks, size=None, store=None):
    """Send ``chunks`` (an iterable of bytes) to Glance as they come (chunked;
    Glance is told the size when it is known), into ``store`` if given (else
    Glance's default store)."""
    glance.client.images.upload(quote(image_id), uploads.ChunkReader(chunks), image_size=size,
                                backend=store)


def image_download(glance, image_id):
    """The image's data as glanceclient streams it (an iterable with ``length``),
    or None when the image has none. Not checksummed here: the API answers
    with the image's hashes, and checking them would cost the whole download's
    CPU on the server, only to fail after the bytes were sent."""
    body = glance.client.images.data(quote(image_id), do_checksum=False)
    # None, or (for an image without data) a request-id proxy of None.
    return None if body is None or body.wrapped is None else body


def upload_url(glance, image_id):
    """Where a browser sends the data itself: Glance's public endpoint, whatever
    interface the API uses (OPENSTACK_ENDPOINT_TYPE may name an internal one)."""
    return f"{glance.endpoint_for('public')}/v2/images/{quote(image_id)}/file"
