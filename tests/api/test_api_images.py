"""/api/glance/images/...: every method against the real stack."""

import hashlib
import uuid

import pytest
from glanceclient import exc as glance_exc

from glance_rest.errors import FILTERING_HINT

from tests.helpers import (
    IMAGES, FileServer, make_image, patch_json, put_json, unique, wait_for_status,
)

pytestmark = pytest.mark.stack

KERNEL, RAMDISK = str(uuid.uuid4()), str(uuid.uuid4())


def test_version(api):
    answer = api().get("/api/glance/version/")
    assert answer.status_code == 200 and answer.json()["version"] == "2"


@pytest.mark.parametrize("method, url", [
    ("get", "/api/glance/version/"), ("get", IMAGES), ("put", IMAGES), ("post", IMAGES),
    ("get", IMAGES + "abc/"), ("patch", IMAGES + "abc/"), ("delete", IMAGES + "abc/"),
    ("get", IMAGES + "abc/properties/"), ("patch", IMAGES + "abc/properties/"),
    ("post", IMAGES + "abc/actions/deactivate"), ("post", IMAGES + "abc/actions/reactivate"),
    ("get", "/api/glance/metadefs/namespaces/"), ("get", "/api/glance/metadefs/resourcetypes/"),
    ("get", "/api/glance/metadefs/namespaces/OS::Compute::Libvirt/"),
    ("get", IMAGES + "abc/members/"), ("post", IMAGES + "abc/members/"),
    ("put", IMAGES + "abc/members/p/"), ("delete", IMAGES + "abc/members/p/"),
    ("put", IMAGES + "abc/tags/t/"), ("delete", IMAGES + "abc/tags/t/"),
    ("put", IMAGES + "abc/stage/"), ("post", IMAGES + "abc/import/"),
    ("delete", IMAGES + "abc/stores/local/"), ("get", IMAGES + "abc/tasks/"),
    ("get", "/api/glance/info/"), ("get", "/api/glance/info/usage/"),
])
def test_unauthenticated_calls_are_refused(api_settings, db, client, method, url):
    answer = getattr(client, method)(url)
    assert answer.status_code == 401
    assert "log in" in answer.json()["error"]["message"]


def test_invalid_token_is_refused(api_settings, db, client):
    answer = client.get(IMAGES, HTTP_X_AUTH_TOKEN="not-a-token")
    assert answer.status_code == 401
    assert "invalid" in answer.json()["error"]["message"]


def test_get_image_splits_base_and_custom(api, stack):
    kernel = str(uuid.uuid4())
    image_id = make_image(stack, name=unique(), hw_disk_bus="scsi", kernel_id=kernel,
                          os_distro="cirros", tags=["x"])
    body = api().get(f"{IMAGES}{image_id}/").json()
    assert body["id"] == image_id and body["status"] == "queued"
    # kernel_id and os_distro are described by the schema file, yet custom.
    expected = {"hw_disk_bus": "scsi", "kernel_id": kernel, "os_distro": "cirros"}
    assert body["properties"] == expected
    assert "os_distro" not in body and "kernel_id" not in body
    assert body["tags"] == ["x"] and body["is_public"] is False
    assert body["file"] == f"/v2/images/{image_id}/file"  # extended attributes shown
    props = api().get(f"{IMAGES}{image_id}/properties/").json()
    assert props == expected


def test_missing_image_is_404_with_glance_message(api):
    answer = api().get(IMAGES + "00000000-0000-0000-0000-000000000000/")
    assert answer.status_code == 404
    assert "00000000-0000-0000-0000-000000000000" in answer.json()["error"]["message"]


def test_create_maps_fields_and_properties(api, stack):
    name = unique()
    answer = put_json(api(), IMAGES, {
        "name": name, "description": "a test", "disk_format": "docker", "container_format": "bare",
        "kernel": KERNEL, "ramdisk": RAMDISK, "architecture": "x86_64", "min_disk": 3,
        "min_ram": 256, "visibility": "shared", "protected": False, "tags": ["t1", "t2"],
        "is_public": True, "os_distro": "cirros",
    })
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert answer["Location"] == f"{IMAGES}{body['id']}/"
    stored = stack.glance("demo").images.get(body["id"])
    assert stored.name == name and stored.visibility == "shared"
    assert (stored.disk_format, stored.container_format) == ("raw", "docker")
    assert (stored.min_disk, stored.min_ram, stored.protected) == (3, 256, False)
    assert sorted(stored.tags) == ["t1", "t2"]
    assert stored.kernel_id == KERNEL and stored.ramdisk_id == RAMDISK
    assert stored.description == "a test" and stored.architecture == "x86_64"
    assert stored.os_distro == "cirros" and "is_public" not in stored
    assert body["properties"]["os_distro"] == "cirros"


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "visibility": "everyone"}, "visibility"),
    ({"name": "x", "min_disk": "abc"}, "min_disk"),
    ({"name": "x", "protected": "maybe"}, "protected"),
    ({"name": "x", "tags": "not-a-list"}, "tags"),
])
def test_create_with_bad_field_is_400_naming_it(api, body, field):
    answer = put_json(api(), IMAGES, body)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field
    assert field in answer.json()["error"]["message"]


def test_member_cannot_publicize(api):
    answer = put_json(api(), IMAGES, {"name": unique(), "visibility": "public",
                                      "disk_format": "raw"})
    assert answer.status_code == 403
    assert "publicize_image" in answer.json()["error"]["message"]


def test_update_changes_only_what_is_sent(api, stack):
    image_id = make_image(stack, name="before", min_disk=5, os_distro="cirros")
    answer = patch_json(api(), f"{IMAGES}{image_id}/",
                        {"name": "after", "min_ram": 64, "hw_rng_model": "virtio"})
    assert answer.status_code == 204
    stored = stack.glance("demo").images.get(image_id)
    assert (stored.name, stored.min_ram, stored.min_disk) == ("after", 64, 5)
    assert stored.os_distro == "cirros" and stored.hw_rng_model == "virtio"
    answer = patch_json(api(), f"{IMAGES}{image_id}/", {"disk_format": "ova"})
    assert answer.status_code == 204
    stored = stack.glance("demo").images.get(image_id)
    assert (stored.disk_format, stored.container_format) == ("vmdk", "ova")
    answer = patch_json(api(), f"{IMAGES}{image_id}/", {"min_disk": "abc"})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "min_disk"


def test_properties_patch(api, stack):
    image_id = make_image(stack, name=unique(), a="1", b="2")
    answer = patch_json(api(), f"{IMAGES}{image_id}/properties/",
                        {"updated": {"a": "10", "c": "3", "os_hidden": "true"}, "removed": ["b"]})
    assert answer.status_code == 204
    stored = stack.glance("demo").images.get(image_id)
    assert (stored.a, stored.c, stored.os_hidden) == ("10", "3", True)
    assert "b" not in stored
    for body, field in (({"updated": {"os_hash_value": "x"}}, "os_hash_value"),
                        ({"updated": {"name": "x"}}, "name"), ({"removed": ["a"]}, "updated")):
        answer = patch_json(api(), f"{IMAGES}{image_id}/properties/", body)
        assert answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_properties_patch_costs_one_glance_call(api, stack, settings):
    settings.BACKEND_CALLS_HEADER = True
    image_id = make_image(stack, name=unique(), a="1", b="2")
    client = api()
    client.get(f"{IMAGES}{image_id}/")  # warm: token validated, schema known
    answer = patch_json(client, f"{IMAGES}{image_id}/properties/",
                        {"updated": {"a": "2", "new": "x"}, "removed": ["b"]})
    assert answer.status_code == 204
    assert answer["X-Backend-Calls"] == "glance=1, keystone=0"
    # Removing a property that is not there costs a read, and still works:
    # the patch Glance refuses with 409 (it saves none of it), the read, the
    # patch of what is there (glance/images.py image_update_properties).
    answer = patch_json(client, f"{IMAGES}{image_id}/properties/",
                        {"updated": {"a": "3"}, "removed": ["never-there", "new"]})
    assert answer.status_code == 204
    assert answer["X-Backend-Calls"] == "glance=3, keystone=0"
    stored = stack.glance("demo").images.get(image_id)
    assert stored.a == "3" and "new" not in stored and "b" not in stored


def test_delete(api, stack):
    image_id = make_image(stack, name=unique())
    assert api().delete(f"{IMAGES}{image_id}/").status_code == 204
    with pytest.raises(glance_exc.HTTPNotFound):
        stack.glance("demo").images.get(image_id)
    assert api().delete(f"{IMAGES}{image_id}/").status_code == 404


def test_deactivate_and_reactivate(api, stack):
    image_id = make_image(stack, name=unique(), data=b"\0" * 4096)
    answer = api().post(f"{IMAGES}{image_id}/actions/deactivate")
    assert answer.status_code == 204
    assert stack.glance("demo").images.get(image_id).status == "deactivated"
    assert api().post(f"{IMAGES}{image_id}/actions/reactivate").status_code == 204
    assert stack.glance("demo").images.get(image_id).status == "active"
    assert api().post(f"{IMAGES}{image_id}/actions/explode").status_code == 404


def test_create_by_web_download_import(api, stack, tmp_path):
    payload = b"web-download " * 20000
    (tmp_path / "disk.raw").write_bytes(payload)
    with FileServer(tmp_path, stack.import_port) as server:
        answer = put_json(api(), IMAGES, {
            "name": unique(), "disk_format": "raw", "source_type": "url",
            "image_url": server.url("disk.raw"), "import_data": True})
        assert answer.status_code == 201, answer.content
        stored = wait_for_status(stack.glance("demo"), answer.json()["id"])
    assert stored.os_hash_value == hashlib.sha512(payload).hexdigest()


def test_refused_url_import_comes_back_as_glance_4xx(api, stack):
    name = unique()
    answer = put_json(api(), IMAGES, {
        "name": name, "disk_format": "raw", "source_type": "url",
        "image_url": "http://127.0.0.1:1/x", "import_data": True})
    assert answer.status_code == 400
    # Glance's words, and what to check (the API cannot read Glance's configuration).
    assert answer.json()["error"]["message"] == (
        f"URI for web-download does not pass filtering: http://127.0.0.1:1/x {FILTERING_HINT}")
    # Nothing half-made is left behind.
    assert not list(stack.glance("demo").images.list(filters={"name": name}))


def test_an_image_its_clean_up_cannot_delete_is_named_in_the_error(api, stack, caplog):
    """A protected image whose import Glance refuses: Glance refuses its
    delete too (403), so it remains; the 400 says so, and the log names it."""
    name = unique()
    with caplog.at_level("ERROR", logger="glance_rest.creation"):
        answer = put_json(api(), IMAGES, {
            "name": name, "disk_format": "raw", "protected": True, "source_type": "url",
            "image_url": "http://127.0.0.1:1/x", "import_data": True})
    glance = stack.glance("demo")
    [left] = glance.images.list(filters={"name": name})
    try:
        request_id = answer["X-Request-Id"]
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["code"] == "bad_request"
        assert error["message"] == (
            f"URI for web-download does not pass filtering: http://127.0.0.1:1/x {FILTERING_HINT} "
            f"The image {left.id} may remain: deleting it failed too "
            f"(request id {request_id}).")
        assert left.protected and left.status == "queued"
        assert [r.getMessage() for r in caplog.records if r.name == "glance_rest.creation"] == [
            f"Clean-up failed: image {left.id} may remain, request id {request_id}"]
    finally:
        glance.images.update(left.id, protected=False)
        glance.images.delete(left.id)


def test_location_refused_by_glance_configuration(api, stack):
    name = unique()
    answer = put_json(api(), IMAGES, {"name": name, "disk_format": "raw", "source_type": "url",
                                      "image_url": "http://127.0.0.1:8080/x.img"})
    # The stack's Glance shows no locations (show_multiple_locations is off, as
    # by default), so it takes none: Glance's words, then what to do instead.
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == (
        "It's not allowed to add locations if locations are invisible. This Glance does not "
        "show image locations, so it takes none: send import_data: true to have Glance fetch "
        "the URL itself (web-download).")
    assert not list(stack.glance("demo").images.list(filters={"name": name}))


def test_location_urls_refused_unless_images_allow_location(api, stack, settings):
    """Horizon's IMAGES_ALLOW_LOCATION (false by Horizon's default): no image
    whose data stays at a URL; Glance copying the URL's data is still allowed."""
    settings.IMAGES_ALLOW_LOCATION = False
    name = unique()
    answer = put_json(api(), IMAGES, {"name": name, "disk_format": "raw", "source_type": "url",
                                      "image_url": "http://127.0.0.1:8080/x.img"})
    assert answer.status_code == 403
    assert "IMAGES_ALLOW_LOCATION" in answer.json()["error"]["message"]
    assert not list(stack.glance("demo").images.list(filters={"name": name}))
    # A web-download import is not a location: it goes on to Glance (which
    # refuses this port by its own filtering, with its 400).
    imported = put_json(api(), IMAGES, {"name": name, "disk_format": "raw", "source_type": "url",
                                        "image_url": "http://127.0.0.1:1/x", "import_data": True})
    assert imported.status_code == 400 and "filtering" in imported.json()["error"]["message"]


def test_direct_mode_hands_out_upload_url(api, stack, settings, tokens):
    settings.HORIZON_IMAGES_UPLOAD_MODE = "direct"
    answer = put_json(api(), IMAGES, {"name": unique(), "disk_format": "raw",
                                      "source_type": "file-direct", "data": "disk.raw"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["upload_url"] == f"{stack.glance_url}/v2/images/{body['id']}/file"
    assert body["token_id"] == tokens("demo")
    import requests
    put = requests.put(body["upload_url"], data=b"direct" * 100, timeout=30, headers={
        "X-Auth-Token": body["token_id"], "Content-Type": "application/octet-stream"})
    assert put.status_code == 204
    assert stack.glance("demo").images.get(body["id"]).status == "active"


def test_direct_mode_refused_unless_enabled(api):
    answer = put_json(api(), IMAGES, {"name": unique(), "disk_format": "raw",
                                      "source_type": "file-direct", "data": "disk.raw"})
    assert answer.status_code == 403
    assert "IMAGES_UPLOAD_MODE=legacy" in answer.json()["error"]["message"]


def test_legacy_multipart_upload(api, stack):
    import json as _json
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = bytes(range(256)) * 4096
    meta = {"name": unique(), "disk_format": "raw", "min_disk": 2, "protected": False,
            "custom": "yes"}
    # As Horizon's client sends it: fields, the file, then $$originalJSON last.
    answer = api().post(IMAGES, {
        "name": meta["name"], "disk_format": "raw", "min_disk": "2",
        "data": SimpleUploadedFile("disk.raw", payload),
        "$$originalJSON": _json.dumps({**meta, "min_disk": 2, "data": {}}),
    })
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "active" and body["min_disk"] == 2
    assert body["os_hash_value"] == hashlib.sha512(payload).hexdigest()
    assert body["checksum"] == hashlib.md5(payload).hexdigest()
    assert body["properties"]["custom"] == "yes"


def test_legacy_upload_in_horizons_field_order(api, stack):
    """Horizon's client sends the file third, before disk_format and the name."""
    import json as _json
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = b"\0" * 70000 + b"horizon order"
    name = unique("horizon")
    model = {"source_type": "file-legacy", "image_url": "", "is_copying": False,
             "protected": False, "min_disk": 1, "min_ram": 0, "container_format": "bare",
             "disk_format": "raw", "visibility": "shared", "name": name,
             "description": "from Horizon"}
    fields = {"source_type": "file-legacy", "image_url": "",
              "data": SimpleUploadedFile("disk.img", payload)}
    fields.update({k: str(v).lower() if isinstance(v, bool) else str(v)
                   for k, v in model.items() if k not in fields})
    fields["$$originalJSON"] = _json.dumps({**model, "data": {}})
    answer = api().post(IMAGES, fields)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["name"], body["status"], body["disk_format"]) == (name, "active", "raw")
    assert body["min_disk"] == 1 and body["properties"]["description"] == "from Horizon"
    assert "is_copying" not in body["properties"]
    assert body["os_hash_value"] == hashlib.sha512(payload).hexdigest()
    assert body["os_hidden"] is False  # hidden only until its name was in


def test_legacy_upload_format_from_the_data(api, stack):
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = api().post(IMAGES, {"name": unique(), "data": SimpleUploadedFile("d", b"x" * 5000)})
    assert answer.status_code == 201, answer.content
    assert (answer.json()["disk_format"], answer.json()["container_format"]) == ("raw", "bare")
    # Declared after the data, and not what the data is: refused, nothing left.
    name = unique()
    answer = api().post(IMAGES, {"name": name, "data": SimpleUploadedFile("d", b"x" * 5000),
                                 "disk_format": "qcow2"})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "disk_format"
    assert "before the data part" in answer.json()["error"]["message"]
    assert not list(stack.glance("demo").images.list(filters={"name": name}))


def test_failed_legacy_upload_leaves_nothing(api, stack):
    name = unique()
    from django.core.files.uploadedfile import SimpleUploadedFile
    # qcow2 declared, raw bytes sent: Glance 33 refuses the data (415).
    answer = api().post(IMAGES, {"name": name, "disk_format": "qcow2",
                                 "data": SimpleUploadedFile("x.qcow2", b"not qcow2" * 100)})
    assert answer.status_code == 415
    assert "does not match" in answer.json()["error"]["message"]
    assert not list(stack.glance("demo").images.list(filters={"name": name}))


def test_wrong_content_type_and_bad_json(api):
    answer = api().put(IMAGES, "name=x", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415
    answer = api().put(IMAGES, "{not json", content_type="application/json")
    assert answer.status_code == 400 and "not valid JSON" in answer.json()["error"]["message"]
    answer = api().put(IMAGES, "[1, 2]", content_type="application/json")
    assert answer.status_code == 400
    answer = api().post(IMAGES, "{}", content_type="application/json")
    assert answer.status_code == 415


def test_method_not_allowed_is_json_with_allow(api):
    answer = api().delete(IMAGES)
    assert answer.status_code == 405
    # The methods of the Images view, and Django's HEAD (from GET) and OPTIONS.
    allowed = {method.strip() for method in answer["Allow"].split(",")}
    assert allowed == {"GET", "PUT", "POST", "HEAD", "OPTIONS"}
    error = answer.json()["error"]
    assert (error["status"], error["code"]) == (405, "method_not_allowed")


def test_unknown_endpoint_is_json_404(api):
    answer = api().get("/api/glance/nothing-here/")
    assert answer.status_code == 404
    assert "openapi.json" in answer.json()["error"]["message"]


def test_an_image_read_can_be_sent_back_as_an_update(api, stack):
    """What an edit form does: GET the image, change a field, PATCH it all back."""
    image_id = make_image(stack, name=unique(), data=b"\0" * 4096, os_distro="cirros")
    image = api().get(f"{IMAGES}{image_id}/").json()
    image["name"] = "edited"
    image["min_ram"] = 128
    answer = patch_json(api(), f"{IMAGES}{image_id}/", image)
    assert answer.status_code == 204, answer.content
    stored = stack.glance("demo").images.get(image_id)
    assert (stored.name, stored.min_ram, stored.os_distro) == ("edited", 128, "cirros")
    assert stored.status == "active"


def test_reads_cost_one_glance_call_and_no_keystone_call(api, api_settings, stack, settings):
    """The fast path (issue: performance): in steady state every read is one
    Glance call and no Keystone call, for token and session callers alike."""
    from tests.api.test_api_auth import XHR, browser, login

    settings.BACKEND_CALLS_HEADER = True
    image_id = make_image(stack, name=unique(), a="1")
    reads = {
        f"{IMAGES}?paginate=true": "glance=1, keystone=0",
        f"{IMAGES}?name=nothing-{unique()}": "glance=1, keystone=0",
        f"{IMAGES}{image_id}/": "glance=1, keystone=0",
        f"{IMAGES}{image_id}/properties/": "glance=1, keystone=0",
        "/api/glance/metadefs/namespaces/?resource_type=OS::Glance::Image":
            "glance=1, keystone=0",
        "/api/glance/metadefs/resourcetypes/": "glance=1, keystone=0",
        "/api/glance/version/": "glance=0, keystone=0",
    }
    session_client = browser()
    assert login(session_client, stack).status_code == 200
    callers = {"token": (api(), {}), "session": (session_client, XHR)}
    for label, (client, headers) in callers.items():
        for url, expected in reads.items():
            client.get(url, **headers)  # warm: token validated, schema and namespaces known
            answer = client.get(url, **headers)
            assert answer.status_code == 200, (label, url, answer.content[:200])
            assert answer["X-Backend-Calls"] == expected, (label, url)
