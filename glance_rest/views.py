"""The /api/glance/ views: Horizon's REST contract, each method a few lines
over the glance wrapper."""

from pathlib import Path

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from . import glance as api
from . import creation, params, uploads
from .errors import ApiError
from .rest import ApiView, CreatedResponse, ajax, register


def image_location(image_id):
    return f"/api/glance/images/{image_id}/"


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
        filters, options = params.image_listing(request.GET)
        return page_body(*api.image_list(api.Glance(request.credentials), filters, options))

    @ajax(data_required=True)
    def put(self, request):
        """Create an image from JSON: no data yet, from a URL, or for a direct upload."""
        glance = api.Glance(request.credentials)
        return created(glance, *creation.create_from_json(glance, request.DATA))

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            # The multipart body is streamed by post() itself, after authentication.
            request.upload_handlers = [uploads.LeaveBodyUnread(request)]
        return super().dispatch(request, *args, **kwargs)

    @ajax(parse_body=False)
    def post(self, request):
        """Create an image and stream its data from multipart/form-data
        (Horizon's legacy mode); 201 only once Glance holds the data."""
        glance = api.Glance(request.credentials)
        return created(glance, creation.create_with_upload(glance, request))


@register
class ImageData(ApiView):
    # curl -T FILE appends the file's name to a URL ending in "/": allowed, ignored.
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/data(?:/[^/]+)?/$"

    @ajax(parse_body=False)
    def put(self, request, image_id):
        """Stream an application/octet-stream body (Content-Length or chunked)
        into the image. On failure Glance leaves the image queued, without data."""
        creation.check_upload_mode("any")
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


def created(glance, image, extra=None):
    body = api.image_to_dict(image, glance.schema(), extended=True)
    body.update(extra or {})
    return CreatedResponse(image_location(image["id"]), body)


@register
class MetadefsNamespaces(ApiView):
    url_regex = r"^glance/metadefs/namespaces/$"

    @ajax()
    def get(self, request):
        """Full namespaces, properties prefixed for ``resource_type`` if given."""
        filters, options, resource_type, target = params.namespace_listing(request.GET)
        return page_body(*api.metadefs_namespace_list(
            api.Glance(request.credentials), filters, options, resource_type, target))


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
