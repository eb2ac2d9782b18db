"""The /api/glance/ views: Horizon's REST contract, each method a few lines
over the glance wrapper."""

import contextlib
import json
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from . import glance as api
from . import params, uploads
from .errors import ApiError, BadInput
from .rest import ApiView, CreatedResponse, ajax, register

LIST_KEYWORDS = frozenset({"marker", "sort_dir", "sort_key", "paginate", "reversed_order"})
NAMESPACE_KEYWORDS = LIST_KEYWORDS | {"resource_type"}


def image_location(image_id):
    return f"/api/glance/images/{image_id}/"


def list_options(kwargs, default_key, default_dir):
    """The listing keywords, typed; Horizon's defaults where absent."""
    marker = kwargs.get("marker")
    if marker is not None and not isinstance(marker, str):
        raise BadInput("marker", "must be an id")
    return {
        "marker": marker,
        "sort_key": kwargs.get("sort_key", default_key),
        "sort_dir": kwargs.get("sort_dir", default_dir),
        "paginate": params.as_bool("paginate", kwargs.get("paginate", False)),
        "reversed_order": params.as_bool("reversed_order", kwargs.get("reversed_order", False)),
    }


def page_body(items, has_more, has_prev):
    return {"items": items, "has_more_data": has_more, "has_prev_data": has_prev}


@register
class Version(ApiView):
    url_regex = r"^glance/version/$"

    @ajax()
    def get(self, request):
        """The Glance API major version this API speaks."""
        return {"version": "2"}


@register
class Image(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+|default)/$"

    @ajax()
    def get(self, request, image_id):
        """One image, extended attributes included."""
        return api.image_get(api.Glance(request.credentials), image_id)

    @ajax(data_required=True)
    def patch(self, request, image_id):
        """Update the fields present in the body; others stay as they are."""
        glance = api.Glance(request.credentials)
        attrs = params.image_attributes(request.DATA, glance.schema(), creating=False)
        api.image_update(glance, image_id, attrs)

    @ajax()
    def delete(self, request, image_id):
        api.image_delete(api.Glance(request.credentials), image_id)


@register
class ImageProperties(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/properties/$"

    @ajax()
    def get(self, request, image_id):
        """The image's custom properties only."""
        return api.image_get(api.Glance(request.credentials), image_id)["properties"]

    @ajax(data_required=True)
    def patch(self, request, image_id):
        """``{"updated": {...}, "removed": [...]}``; 204 on success."""
        glance = api.Glance(request.credentials)
        changes, removed = params.property_changes(request.DATA, glance.schema())
        api.image_update_properties(glance, image_id, changes, removed)


@register
class ImageActions(ApiView):
    url_regex = (r"^glance/images/(?P<image_id>[^/]+)/actions/"
                 r"(?P<action>deactivate|reactivate)/$")

    @ajax(parse_body=False)  # no body: whatever a client sends along is ignored
    def post(self, request, image_id, action):
        api.image_action(api.Glance(request.credentials), image_id, action)


@register
class Images(ApiView):
    url_regex = r"^glance/images/$"

    @ajax()
    def get(self, request):
        """A page of images: ``{"items", "has_more_data", "has_prev_data"}``."""
        filters, kwargs = params.split_query(request.GET, LIST_KEYWORDS)
        return page_body(*api.image_list(
            api.Glance(request.credentials), filters=filters,
            **list_options(kwargs, "created_at", "desc")))

    @ajax(data_required=True)
    def put(self, request):
        """Create an image from JSON: no data yet, from a URL, or for a direct upload."""
        glance = api.Glance(request.credentials)
        data = request.DATA
        attrs = params.image_attributes(data, glance.schema(), creating=True)
        source_type = data.get("source_type")
        if source_type == "url" and data.get("image_url") not in (None, ""):
            return create_from_url(glance, attrs, data)
        if source_type == "file-direct":
            return create_for_direct_upload(glance, attrs, request.credentials.token)
        if source_type not in (None, "", "url"):  # "url" with no URL yet: no data, as Horizon
            raise BadInput("source_type", f"{source_type!r} is not url or file-direct "
                                          "(upload files with POST multipart/form-data)")
        image = api.image_create(glance, attrs)
        return created(glance, image)

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            # The multipart body is streamed by post() itself, after authentication.
            request.upload_handlers = [uploads.LeaveBodyUnread(request)]
        return super().dispatch(request, *args, **kwargs)

    @ajax(parse_body=False)
    def post(self, request):
        """Create an image and stream its data from multipart/form-data
        (Horizon's legacy mode). Fields before the ``data`` part make the image;
        without a disk_format among them the format is recognised from the data.
        Fields after it (Horizon's client sends most there) are applied once the
        data is in. 201 with the active image only once Glance holds the data; if
        anything fails the new image is deleted and the error returned."""
        if settings.IMAGES_UPLOAD_MODE != "legacy":
            raise ApiError(403, f"Uploads through this API are disabled "
                                f"(IMAGES_UPLOAD_MODE={settings.IMAGES_UPLOAD_MODE}).")
        if request.content_type != "multipart/form-data":
            raise ApiError(415, "Send the image as multipart/form-data with a 'data' file part.")
        uploads.check_size(request)
        glance = api.Glance(request.credentials)
        schema = glance.schema()
        form = uploads.MultipartStream(request)
        image_id = None
        with contextlib.ExitStack() as on_failure:
            for name, _filename, chunks in form.files():
                if name != "data" or image_id is not None:
                    form.skip(chunks)
                    continue
                attrs = params.image_attributes(multipart_fields(form.fields), schema,
                                                creating=True)
                if "disk_format" not in attrs:
                    # Horizon's client sends the file before the formats: take
                    # them from the data, and check them against the fields later.
                    chunks, detected = uploads.detect_format(chunks)
                    attrs.update(params.formats_for(detected, schema))
                image = api.image_create(glance, attrs)
                image_id = image["id"]
                on_failure.enter_context(deleted_on_failure(glance, image_id))
                api.image_upload(glance, image_id, uploads.checked_chunks(chunks))
            if image_id is None:
                raise BadInput("data", "a file part named 'data' is required")
            late = params.image_attributes(multipart_fields(form.fields), schema, creating=False)
            for field in ("disk_format", "container_format"):
                if field in late and late[field] != image[field]:
                    raise BadInput(field, f"is {late[field]!r} but the data is "
                                          f"{image[field]!r}; send {field} before the data part")
            image = api.image_update(glance, image_id, late)
        return created(glance, image)


def multipart_fields(fields):
    """Form fields, with Horizon's ``$$originalJSON`` restoring their types."""
    original = fields.get("$$originalJSON")
    if original is None:
        return dict(fields)
    try:
        data = json.loads(original)
    except ValueError:
        raise BadInput("$$originalJSON", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("$$originalJSON", "must be a JSON object")
    data.pop("data", None)  # the browser's File object, serialised as {}
    return data


@register
class ImageData(ApiView):
    # curl -T FILE appends the file's name to a URL ending in "/": allowed, ignored.
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/data(?:/[^/]+)?/$"

    @ajax(parse_body=False)
    def put(self, request, image_id):
        """Stream an application/octet-stream body (Content-Length or chunked)
        into the image. On failure Glance leaves the image queued, without data."""
        if settings.IMAGES_UPLOAD_MODE == "off":
            raise ApiError(403, "Uploads through this API are disabled (IMAGES_UPLOAD_MODE=off).")
        if request.content_type != "application/octet-stream":
            raise ApiError(415, "Send the image data as application/octet-stream.")
        size = uploads.check_size(request)
        chunks = uploads.checked_chunks(uploads.raw_chunks(request), expected=size)
        api.image_upload(api.Glance(request.credentials), image_id, chunks, size=size)

    @ajax(parse_body=False)
    def get(self, request, image_id):
        """The image's data, streamed, with its name, size and hashes."""
        glance = api.Glance(request.credentials)
        image = api.image_get_raw(glance, image_id)
        data = api.image_download(glance, image_id)
        if data is None:
            return HttpResponse(status=204)
        response = StreamingHttpResponse(data, content_type="application/octet-stream")
        if data.length is not None:
            response["Content-Length"] = str(data.length)
        response["Content-Disposition"] = content_disposition_header(
            True, image.get("name") or image["id"])
        for header, key in (("X-Image-Checksum", "checksum"),
                            ("X-Image-Hash-Algo", "os_hash_algo"),
                            ("X-Image-Hash-Value", "os_hash_value")):
            if image.get(key):
                response[header] = image[key]
        return response


def created(glance, image, **extra):
    body = api.image_to_dict(image, glance.schema(), extended=True)
    body.update(extra)
    return CreatedResponse(image_location(image["id"]), body)


@contextlib.contextmanager
def deleted_on_failure(glance, image_id):
    """Delete a just-created image if what follows fails: nothing half-made is left."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report
            api.image_delete(glance, image_id)
        raise


def create_from_url(glance, attrs, data):
    url = data.get("image_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BadInput("image_url", "must be an http:// or https:// URL")
    import_data = params.as_bool("import_data", data.get("import_data", False))
    image = api.image_create(glance, attrs)
    with deleted_on_failure(glance, image["id"]):
        if import_data:
            api.image_import_from_url(glance, image["id"], url)
        else:
            api.image_add_location(glance, image["id"], url)
    return created(glance, api.image_get_raw(glance, image["id"]))


def create_for_direct_upload(glance, attrs, token):
    """Horizon's direct mode: the browser uploads straight to Glance with the
    caller's token, which is why it must be enabled explicitly."""
    if settings.IMAGES_UPLOAD_MODE != "direct":
        raise ApiError(403, "Direct uploads are disabled (IMAGES_UPLOAD_MODE="
                            f"{settings.IMAGES_UPLOAD_MODE}).")
    image = api.image_create(glance, attrs)
    return created(glance, image, upload_url=api.upload_url(glance, image["id"]),
                   token_id=token)


@register
class MetadefsNamespaces(ApiView):
    url_regex = r"^glance/metadefs/namespaces/$"

    @ajax()
    def get(self, request):
        """Full namespaces, properties prefixed for ``resource_type`` if given."""
        filters, kwargs = params.split_query(request.GET, NAMESPACE_KEYWORDS)
        resource_type = kwargs.get("resource_type")
        if resource_type is not None and not isinstance(resource_type, str):
            raise BadInput("resource_type", "must be a resource type name")
        return page_body(*api.metadefs_namespace_list(
            api.Glance(request.credentials), filters=filters, resource_type=resource_type,
            **list_options(kwargs, "namespace", "asc")))


@register
class MetadefsResourceTypes(ApiView):
    # Horizon's documentation also gives it as /api/glance/resourcetypes/.
    url_regex = r"^glance/(?:metadefs/)?resourcetypes/$"

    @ajax()
    def get(self, request):
        return {"items": api.metadefs_resource_types(api.Glance(request.credentials))}


OPENAPI_PATH = Path(__file__).with_name("openapi.json")


@register
class OpenApi(ApiView):
    url_regex = r"^glance/openapi\.json/$"

    @ajax(login_required=False, browser_checks=False, parse_body=False)
    def get(self, request):
        """This API's OpenAPI 3 description (public: it holds no data)."""
        return HttpResponse(OPENAPI_PATH.read_bytes(), content_type="application/json")
