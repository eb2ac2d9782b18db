"""The /api/glance/ views: Horizon's REST contract, each method a few lines
over the glance wrapper."""

import urllib.parse

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import get_script_prefix
from django.utils.http import content_disposition_header

from . import glance as api
from . import contract, creation, discovery, owners, params, uploads
from .conf import page_size, settings
from .errors import ApiError
from .rest import ApiView, CreatedResponse, ajax, register


def image_location(image_id):
    # The script prefix: mounted under a WEBROOT (Horizon's /dashboard/, say).
    return f"{get_script_prefix()}api/glance/images/{image_id}/"


def page_body(items, has_more, has_prev):
    return {"items": items, "has_more_data": has_more, "has_prev_data": has_prev}


@register
class Version(ApiView):
    url_regex = r"^glance/version/$"

    @ajax("version")
    def get(self, request):
        """The Glance API major version this API speaks."""
        return {"version": "2"}


@register
class Image(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+|default)/$"

    @ajax("getImage")
    def get(self, request, image_id):
        """One image, extended attributes included."""
        return api.image_get(api.Glance(request.credentials), image_id)

    @ajax("updateImage", data_required=True)
    def patch(self, request, image_id):
        """Update the fields present in the body; others stay as they are."""
        glance = api.Glance(request.credentials)
        attrs = params.image_attributes(request.DATA, glance.schema(), creating=False)
        api.image_update(glance, image_id, attrs)

    @ajax("deleteImage")
    def delete(self, request, image_id):
        api.image_delete(api.Glance(request.credentials), image_id)


@register
class ImageProperties(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/properties/$"

    @ajax("getImageProperties")
    def get(self, request, image_id):
        """The image's custom properties only."""
        return api.image_get(api.Glance(request.credentials), image_id)["properties"]

    @ajax("updateImageProperties", data_required=True)
    def patch(self, request, image_id):
        """``{"updated": {...}, "removed": [...]}``; 204 on success."""
        glance = api.Glance(request.credentials)
        changes, removed = params.property_changes(request.DATA, glance.schema())
        api.image_update_properties(glance, image_id, changes, removed)


@register
class ImageDeactivate(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/actions/deactivate/$"

    @ajax("deactivateImage", parse_body=False)  # no body: whatever is sent is ignored
    def post(self, request, image_id):
        api.image_action(api.Glance(request.credentials), image_id, "deactivate")


@register
class ImageReactivate(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/actions/reactivate/$"

    @ajax("reactivateImage", parse_body=False)
    def post(self, request, image_id):
        api.image_action(api.Glance(request.credentials), image_id, "reactivate")


@register
class Images(ApiView):
    url_regex = r"^glance/images/$"

    @ajax("listImages")
    def get(self, request):
        """A page of images: ``{"items", "has_more_data", "has_prev_data"}``."""
        filters, options = params.image_listing(request.GET)
        options["page_size"] = page_size(request)
        return page_body(*api.image_list(api.Glance(request.credentials), filters, options))

    @ajax("createImage", data_required=True)
    def put(self, request):
        """Create an image from JSON: no data yet, from a URL, or for a direct upload."""
        glance = api.Glance(request.credentials)
        return created(glance, *creation.create_from_json(glance, request))

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            # The multipart body is streamed by post() itself, after authentication.
            request.upload_handlers = [uploads.LeaveBodyUnread(request)]
        return super().dispatch(request, *args, **kwargs)

    @ajax("uploadImage", parse_body=False)
    def post(self, request):
        """Create an image and stream its data from multipart/form-data
        (Horizon's legacy mode); 201 only once Glance holds the data."""
        glance = api.Glance(request.credentials)
        return created(glance, creation.create_with_upload(glance, request))


@register
class AdminImages(ApiView):
    url_regex = r"^glance/admin/images/$"

    @ajax("listAllProjectsImages")
    def get(self, request):
        """A page of every project's images, each with its ``project_name`` and
        ``owner_status``; ``?orphaned=true``: only those whose owner project
        Keystone says is gone, from a bounded scan that ``scan_marker`` continues."""
        filters, options, orphaned = params.admin_image_listing(request.GET)
        options["page_size"] = page_size(request)
        # Keystone first: a caller who may not list projects is refused before
        # Glance is asked for anything.
        known = owners.Owners(request.credentials, fresh=orphaned)
        glance = api.Glance(request.credentials)
        if orphaned:
            items, has_more, has_prev, resume = api.image_scan(
                glance, filters, options, known.orphans, settings.ORPHAN_SCAN_IMAGES)
        else:
            (items, has_more, has_prev), resume = api.image_list(glance, filters, options), None
        return {**page_body(known.describe(items), has_more, has_prev), "scan_marker": resume}


@register
class AdminProjects(ApiView):
    url_regex = r"^glance/admin/projects/$"

    @ajax("listAllProjects", parse_body=False)
    def get(self, request):
        """Every project's id and name, as the admin images filter offers them."""
        return {"items": owners.all_projects(request.credentials).items()}


@register
class ImageData(ApiView):
    # curl -T FILE appends the file's name to a URL ending in "/": allowed, ignored.
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/data(?:/[^/]+)?/$"

    @ajax("uploadImageData", parse_body=False)
    def put(self, request, image_id):
        """Stream an application/octet-stream body (Content-Length or chunked)
        into the image (``?store=<id>``: into that store). On failure Glance
        leaves the image queued, without data."""
        store = request.GET.get("store")
        chunks, size = streamed_body(request)
        api.image_upload(api.Glance(request.credentials), image_id, chunks, size=size, store=store)

    @ajax("downloadImage", parse_body=False)
    def get(self, request, image_id):
        """The image's data, streamed, with its name, size and hashes; a
        ``Range: bytes=...`` gets 206 with that part (resumed downloads)."""
        glance = api.Glance(request.credentials)
        image = api.image_get_raw(glance, image_id)
        # A Range that is not one byte range is ignored (RFC 9110, 14.2).
        byte_range = params.byte_range(request.headers.get("Range", ""))
        if byte_range is not None and image.get("size") is None:
            # No data to take a part of (Glance 33 answers such a range with 500).
            return HttpResponse(status=204)
        if byte_range is not None:
            data = api.image_download_range(glance, image_id, byte_range)
            if data is None:
                return HttpResponse(status=204)
            response = StreamingHttpResponse(data.chunks(), status=data.status,
                                             content_type="application/octet-stream")
            for header, value in data.headers.items():
                response[header] = value
        else:
            data = api.image_download(glance, image_id)
            if data is None:
                return HttpResponse(status=204)
            response = StreamingHttpResponse(data, content_type="application/octet-stream")
            if data.length is not None:
                response["Content-Length"] = str(data.length)
        response["Accept-Ranges"] = "bytes"
        response["Content-Disposition"] = content_disposition_header(
            True, image.get("name") or image["id"])
        for header, key in (("X-Image-Checksum", "checksum"),
                            ("X-Image-Hash-Algo", "os_hash_algo"),
                            ("X-Image-Hash-Value", "os_hash_value")):
            if image.get(key):
                response[header] = image[key]
        return response


def streamed_body(request):
    """(checked chunks, size or None) of an application/octet-stream body."""
    creation.check_upload_mode("any")
    if request.content_type != "application/octet-stream":
        raise ApiError(415, "Send the image data as application/octet-stream.")
    size = uploads.check_size(request)
    return uploads.checked_chunks(uploads.raw_chunks(request), expected=size), size


@register
class ImageStage(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/stage(?:/[^/]+)?/$"

    @ajax("stageImageData", parse_body=False)
    def put(self, request, image_id):
        """Stream the data into Glance's staging area, for a glance-direct import."""
        chunks, size = streamed_body(request)
        api.image_stage(api.Glance(request.credentials), image_id, chunks, size=size)


@register
class ImageImport(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/import/$"

    @ajax("importImage", data_required=True)
    def post(self, request, image_id):
        """Start an import by one of the cloud's methods; 202, Glance works on
        in the background (see the image's tasks/)."""
        options = params.import_request(request.DATA)
        api.image_import(api.Glance(request.credentials), image_id, **options)
        return JsonResponse({"image_id": image_id, "method": options["method"]}, status=202)


@register
class ImageStore(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/stores/(?P<store_id>[^/]+)/$"

    @ajax("deleteImageFromStore", parse_body=False)
    def delete(self, request, image_id, store_id):
        """Remove the image's data from one store (it stays in the others)."""
        api.image_delete_from_store(api.Glance(request.credentials), image_id, store_id)


@register
class ImageTasks(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/tasks/$"

    @ajax("listImageTasks")
    def get(self, request, image_id):
        """The image's tasks (imports), newest first."""
        return {"items": api.image_tasks(api.Glance(request.credentials), image_id)}


@register
class ImageMembers(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/members/$"

    @ajax("listImageMembers")
    def get(self, request, image_id):
        """The projects the image is shared with, and their answers."""
        return {"items": api.member_list(api.Glance(request.credentials), image_id)}

    @ajax("addImageMember", data_required=True)
    def post(self, request, image_id):
        """Share with ``{"member": "<project id>"}``; 201 with the member."""
        member = request.DATA["member"]
        body = api.member_add(api.Glance(request.credentials), image_id, member)
        return CreatedResponse(
            f"{image_location(image_id)}members/{urllib.parse.quote(member, safe='')}/", body)


@register
class ImageMember(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/members/(?P<member_id>[^/]+)/$"

    @ajax("updateImageMember", data_required=True)
    def put(self, request, image_id, member_id):
        """The member project's answer: ``{"status": "accepted"|"rejected"|"pending"}``."""
        return api.member_update(api.Glance(request.credentials), image_id, member_id,
                                 request.DATA["status"])

    @ajax("removeImageMember", parse_body=False)
    def delete(self, request, image_id, member_id):
        api.member_delete(api.Glance(request.credentials), image_id, member_id)


@register
class ImageTag(ApiView):
    url_regex = r"^glance/images/(?P<image_id>[^/]+)/tags/(?P<tag>[^/]+)/$"

    @ajax("addImageTag", parse_body=False)
    def put(self, request, image_id, tag):
        api.tag_add(api.Glance(request.credentials), image_id, tag)

    @ajax("removeImageTag", parse_body=False)
    def delete(self, request, image_id, tag):
        api.tag_delete(api.Glance(request.credentials), image_id, tag)


@register
class Info(ApiView):
    url_regex = r"^glance/info/$"

    @ajax("getInfo")
    def get(self, request):
        """What this cloud's Glance offers a create form."""
        return discovery.cloud_info(api.Glance(request.credentials))


@register
class InfoUsage(ApiView):
    url_regex = r"^glance/info/usage/$"

    @ajax("getUsage")
    def get(self, request):
        """Glance's quota usage of the caller's project."""
        return discovery.usage(api.Glance(request.credentials))


def created(glance, image, extra=None):
    body = api.image_to_dict(image, glance.schema(), extended=True)
    body.update(extra or {})
    return CreatedResponse(image_location(image["id"]), body)


def namespace_location(namespace, *parts):
    """This API's address of a namespace, or of one of its parts."""
    segments = "".join(f"{urllib.parse.quote(part, safe='')}/" for part in (namespace, *parts))
    return f"{get_script_prefix()}api/glance/metadefs/namespaces/{segments}"


# Metadata definitions: each write is one Glance call with the caller's token
# (Glance's policy decides: by default, administrators only).
NAMESPACE = r"^glance/metadefs/namespaces/(?P<namespace>[^/]+)/"


@register
class MetadefsNamespaces(ApiView):
    url_regex = r"^glance/metadefs/namespaces/$"

    @ajax("listNamespaces")
    def get(self, request):
        """Full namespaces, properties prefixed for ``resource_type`` if given."""
        filters, options, resource_type, target = params.namespace_listing(request.GET)
        options["page_size"] = page_size(request)
        return page_body(*api.metadefs_namespace_list(
            api.Glance(request.credentials), filters, options, resource_type, target))

    @ajax("createNamespace", data_required=True)
    def post(self, request):
        """Import a namespace document (Horizon's Import, Glance's shipped files,
        an export) with all it holds; 201 with Glance's namespace."""
        created = api.metadefs_namespace_create(api.Glance(request.credentials), request.DATA)
        return CreatedResponse(namespace_location(created["namespace"]), created)


@register
class MetadefsImport(ApiView):
    url_regex = r"^glance/metadefs/import/$"

    @ajax("importNamespaces", data_required=True)
    def post(self, request):
        """Import several namespace documents; each one's outcome."""
        return {"items": api.metadefs_namespaces_import(api.Glance(request.credentials),
                                                        request.DATA["namespaces"])}


@register
class MetadefsNamespace(ApiView):
    url_regex = NAMESPACE + "$"

    @ajax("getNamespace")
    def get(self, request, namespace):
        """One full namespace, properties prefixed for ``resource_type`` if given."""
        resource_type = request.GET.get("resource_type") or None
        return api.metadefs_namespace(api.Glance(request.credentials), namespace, resource_type)

    @ajax("updateNamespace", data_required=True)
    def patch(self, request, namespace):
        """Change the fields sent; the others stay as they are."""
        return api.metadefs_namespace_update(api.Glance(request.credentials), namespace,
                                             request.DATA)

    @ajax("deleteNamespace", parse_body=False)
    def delete(self, request, namespace):
        api.metadefs_namespace_delete(api.Glance(request.credentials), namespace)


@register
class MetadefsNamespaceExport(ApiView):
    url_regex = NAMESPACE + "export/$"

    @ajax("exportNamespace")
    def get(self, request, namespace):
        """The namespace as the document createNamespace takes back."""
        return api.metadefs_namespace_export(api.Glance(request.credentials), namespace)


@register
class MetadefsNamespaceResourceTypes(ApiView):
    url_regex = NAMESPACE + "resourcetypes/$"

    @ajax("listNamespaceResourceTypes")
    def get(self, request, namespace):
        return {"items": api.metadefs_associations(api.Glance(request.credentials), namespace)}

    @ajax("addNamespaceResourceType", data_required=True)
    def post(self, request, namespace):
        """Associate a resource type, with its prefix and properties target."""
        added = api.metadefs_association_add(api.Glance(request.credentials), namespace,
                                             request.DATA)
        return CreatedResponse(namespace_location(namespace, "resourcetypes", added["name"]),
                               added)


@register
class MetadefsNamespaceResourceType(ApiView):
    url_regex = NAMESPACE + r"resourcetypes/(?P<resource_type>[^/]+)/$"

    @ajax("removeNamespaceResourceType", parse_body=False)
    def delete(self, request, namespace, resource_type):
        api.metadefs_association_remove(api.Glance(request.credentials), namespace,
                                        resource_type)


@register
class MetadefsNamespaceProperties(ApiView):
    url_regex = NAMESPACE + "properties/$"

    @ajax("createNamespaceProperty", data_required=True)
    def post(self, request, namespace):
        created = api.metadefs_property_create(api.Glance(request.credentials), namespace,
                                               request.DATA)
        return CreatedResponse(namespace_location(namespace, "properties", created["name"]),
                               created)


@register
class MetadefsNamespaceProperty(ApiView):
    url_regex = NAMESPACE + r"properties/(?P<property_name>[^/]+)/$"

    @ajax("updateNamespaceProperty", data_required=True)
    def put(self, request, namespace, property_name):
        """Replace the property's definition (a ``name`` renames it)."""
        return api.metadefs_property_update(api.Glance(request.credentials), namespace,
                                            property_name, request.DATA)

    @ajax("deleteNamespaceProperty", parse_body=False)
    def delete(self, request, namespace, property_name):
        api.metadefs_property_delete(api.Glance(request.credentials), namespace, property_name)


@register
class MetadefsNamespaceObjects(ApiView):
    url_regex = NAMESPACE + "objects/$"

    @ajax("createNamespaceObject", data_required=True)
    def post(self, request, namespace):
        created = api.metadefs_object_create(api.Glance(request.credentials), namespace,
                                             request.DATA)
        return CreatedResponse(namespace_location(namespace, "objects", created["name"]),
                               created)


@register
class MetadefsNamespaceObject(ApiView):
    url_regex = NAMESPACE + r"objects/(?P<object_name>[^/]+)/$"

    @ajax("updateNamespaceObject", data_required=True)
    def put(self, request, namespace, object_name):
        """Replace the object (a ``name`` renames it)."""
        return api.metadefs_object_update(api.Glance(request.credentials), namespace,
                                          object_name, request.DATA)

    @ajax("deleteNamespaceObject", parse_body=False)
    def delete(self, request, namespace, object_name):
        api.metadefs_object_delete(api.Glance(request.credentials), namespace, object_name)


@register
class MetadefsNamespaceTags(ApiView):
    url_regex = NAMESPACE + "tags/$"

    @ajax("createNamespaceTag", data_required=True)
    def post(self, request, namespace):
        created = api.metadefs_tag_create(api.Glance(request.credentials), namespace,
                                          request.DATA["name"])
        return CreatedResponse(namespace_location(namespace, "tags", created["name"]), created)


@register
class MetadefsNamespaceTag(ApiView):
    url_regex = NAMESPACE + r"tags/(?P<tag>[^/]+)/$"

    @ajax("updateNamespaceTag", data_required=True)
    def put(self, request, namespace, tag):
        """Rename the tag: ``{"name": "<new name>"}``."""
        return api.metadefs_tag_update(api.Glance(request.credentials), namespace, tag,
                                       request.DATA["name"])

    @ajax("deleteNamespaceTag", parse_body=False)
    def delete(self, request, namespace, tag):
        api.metadefs_tag_delete(api.Glance(request.credentials), namespace, tag)


@register
class MetadefsResourceTypes(ApiView):
    # Horizon's documentation also gives it as /api/glance/resourcetypes/.
    url_regex = r"^glance/(?:metadefs/)?resourcetypes/$"

    @ajax("listResourceTypes")
    def get(self, request):
        return {"items": api.metadefs_resource_types(api.Glance(request.credentials))}


@register
class OpenApi(ApiView):
    url_regex = r"^glance/openapi\.json/$"

    @ajax("openapi", login_required=False, browser_checks=False, parse_body=False)
    def get(self, request):
        """This API's OpenAPI 3 description (public: it holds no data)."""
        return HttpResponse(contract.DOCUMENT_BYTES, content_type="application/json")
