"""Creating an image: from JSON (no data yet, from a URL, or for the browser's
direct upload) or with its data streamed from a multipart form.

Each flow makes several Glance calls; whatever fails after the image exists
deletes it again, so nothing half-made is left. When that delete fails too
(the image is protected, Glance went away), it is logged and the caller's
error says the image may remain. Each returns the new image as Glance gives
it (and, for direct uploads, what the browser needs).
"""

import contextlib
import json
import logging

from . import glance as api
from . import contract, params, uploads
from .conf import settings
from .errors import ApiError, BadInput, from_client_error

LOG = logging.getLogger(__name__)


@contextlib.contextmanager
def deleted_on_failure(glance, image_id, request_id):
    """Delete a just-created image if what follows fails: nothing half-made is
    left, or the caller is told what may be."""
    try:
        yield
    except BaseException as failure:  # a worker stopped mid-upload too
        try:
            api.image_delete(glance, image_id)
        except Exception:  # noqa: BLE001 - logged, and said in the error
            # The log has both tracebacks: the delete's, after the failure's.
            LOG.exception("Clean-up failed: image %s may remain, request id %s",
                          image_id, request_id)
            if isinstance(failure, Exception):
                raise may_remain(failure, image_id, request_id) from failure
        raise


def may_remain(failure, image_id, request_id):
    """The error the caller gets for ``failure``, its status and code kept,
    saying that the image it made may remain."""
    error = failure if isinstance(failure, ApiError) else from_client_error(failure)
    if error is None:  # unexpected: 500 with the request id only, as rest.ajax answers
        error = ApiError(500, f"Internal error; request id {request_id}.")
    return ApiError(error.status, f"{error.message} The image {image_id} may remain: "
                                  f"deleting it failed too (request id {request_id}).",
                    field=error.field, code=error.code)


def check_upload_mode(wanted):
    """Refuse an upload the deployment has disabled (HORIZON_IMAGES_UPLOAD_MODE)."""
    mode = settings.HORIZON_IMAGES_UPLOAD_MODE
    allowed = mode != "off" if wanted == "any" else mode == wanted
    if not allowed:
        raise ApiError(403, "This kind of upload is disabled here "
                            f"(HORIZON_IMAGES_UPLOAD_MODE={mode}).")


def create_from_json(glance, request):
    """(image, extra response fields) for a PUT body: ``source_type`` url
    (with a URL: web-download import or location; without one yet: no data,
    as Horizon does), file-direct, or none (no data)."""
    data = request.DATA
    attrs = params.image_attributes(data, glance.schema(), creating=True)
    source_type = data.get("source_type")
    if source_type == "url" and data.get("image_url") not in (None, ""):
        return create_from_url(glance, attrs, data, request.request_id), None
    if source_type == "file-direct":
        return create_for_direct_upload(glance, attrs)
    return api.image_create(glance, attrs), None


def create_from_url(glance, attrs, data, request_id):
    url = data["image_url"]  # an http(s) URL (openapi.json)
    import_data = data.get("import_data", False)
    if not import_data and not settings.IMAGES_ALLOW_LOCATION:
        raise ApiError(403, "Images from a location URL are disabled here "
                            "(IMAGES_ALLOW_LOCATION); send import_data: true to have "
                            "Glance copy the data instead.")
    image = api.image_create(glance, attrs)
    with deleted_on_failure(glance, image["id"], request_id):
        if import_data:
            api.image_import_from_url(glance, image["id"], url)
        else:
            api.image_add_location(glance, image["id"], url)
    return api.image_get_raw(glance, image["id"])


def create_for_direct_upload(glance, attrs):
    """Horizon's direct mode: the browser uploads straight to Glance with the
    caller's token, which is why it must be enabled explicitly."""
    check_upload_mode("direct")
    image = api.image_create(glance, attrs)
    return image, {"upload_url": api.upload_url(glance, image["id"]),
                   "token_id": glance.credentials.token}


def create_with_upload(glance, request):
    """Create an image and stream its data from multipart/form-data. Fields
    before the ``data`` part make the image; without a disk_format among them
    the format is recognised from the data. Fields after it (Horizon's client
    sends most there) are applied once the data is in.

    An image made before its name is known is hidden (os_hidden) until those
    fields are in: Glance's lists leave it out meanwhile. Horizon's table
    renders a row's name once per image id, so a list caught mid-upload would
    show the id, not the name, until the page is reloaded."""
    check_upload_mode("legacy")
    if request.content_type != "multipart/form-data":
        raise ApiError(415, "Send the image as multipart/form-data with a 'data' file part.")
    uploads.check_size(request)
    schema = glance.schema()
    form = uploads.MultipartStream(request)
    image = None
    with contextlib.ExitStack() as on_failure:
        for name, _filename, chunks in form.files():
            if name != "data" or image is not None:
                form.skip(chunks)
                continue
            attrs = params.image_attributes(multipart_fields(form.fields), schema, creating=True)
            unnamed = "name" not in attrs and "os_hidden" not in attrs
            if unnamed:
                attrs["os_hidden"] = True
            if "disk_format" not in attrs:
                # Horizon's client sends the file before the formats: take
                # them from the data, and check them against the fields later.
                chunks, detected = uploads.detect_format(chunks)
                attrs.update(params.formats_for(detected, schema))
            image = api.image_create(glance, attrs)
            on_failure.enter_context(deleted_on_failure(glance, image["id"], request.request_id))
            api.image_upload(glance, image["id"], uploads.checked_chunks(chunks))
        if image is None:
            raise BadInput("data", "a file part named 'data' is required")
        late = params.image_attributes(multipart_fields(form.fields), schema, creating=False)
        if unnamed:
            late.setdefault("os_hidden", False)
        for field in ("disk_format", "container_format"):
            if field in late and late[field] != image[field]:
                raise BadInput(field, f"is {late[field]!r} but the data is "
                                      f"{image[field]!r}; send {field} before the data part")
        return api.image_update(glance, image["id"], late)


def multipart_fields(fields):
    """Form fields, read as createImage's body (openapi.json) and checked as
    it is; Horizon's ``$$originalJSON`` restores their types."""
    declared = contract.operation("createImage")
    original = fields.get("$$originalJSON")
    if original is None:
        # source_type says which kind of create this is (file-legacy): this one.
        return declared.check_text_fields(
            {name: value for name, value in fields.items() if name != "source_type"})
    try:
        data = json.loads(original)
    except ValueError:
        raise BadInput("$$originalJSON", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("$$originalJSON", "must be a JSON object")
    data.pop("data", None)  # the browser's File object, serialised as {}
    data.pop("source_type", None)
    declared.check_body(data)
    return data
