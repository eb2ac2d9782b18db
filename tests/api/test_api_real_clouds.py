"""A devstack-like Glance (its schema-image.json describes custom properties)
and a plain one without it, registered with a /v2 suffix in a second region:
the API treats both the same way, as Glance's schema says."""

import io
import uuid

import pytest

from tests.helpers import IMAGES, make_image, patch_json, put_json, unique
from stack.testing import PLAIN_REGION, REGION

pytestmark = pytest.mark.stack


@pytest.fixture(params=[REGION, PLAIN_REGION], ids=["schema-file", "plain-v2-endpoint"])
def region(request, api_settings):
    api_settings.OPENSTACK_REGION = request.param
    return request.param


def glance_in(stack, region, user="demo"):
    """A direct glanceclient on that region's Glance (unversioned URL, as
    glanceclient strips a version suffix only from an endpoint it is given)."""
    from glanceclient import Client

    port = stack.glance_port if region == REGION else stack.plain_glance_port
    return Client("2", f"http://127.0.0.1:{port}", session=stack.session(user))


def test_schema_file_is_served_by_the_main_glance_only(stack):
    described = glance_in(stack, REGION).schemas.get("image").raw()["properties"]
    assert described["os_distro"]["is_base"] is False
    assert "pattern" in described["kernel_id"]
    plain = glance_in(stack, PLAIN_REGION).schemas.get("image").raw()["properties"]
    assert "os_distro" not in plain


def test_create_with_described_properties(api, stack, region):
    kernel = str(uuid.uuid4())
    answer = put_json(api(), IMAGES, {
        "name": unique(), "disk_format": "raw", "os_distro": "cirros", "kernel": kernel,
        "description": "d", "instance_uuid": str(uuid.uuid4()), "hw_disk_bus": "scsi"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["properties"]["os_distro"] == "cirros"
    assert body["properties"]["kernel_id"] == kernel
    assert "os_distro" not in body and "description" not in body
    stored = glance_in(stack, region).images.get(body["id"])
    assert stored.os_distro == "cirros" and stored.hw_disk_bus == "scsi"


def test_properties_patch_of_described_properties(api, stack, region):
    image = glance_in(stack, region).images.create(name=unique(), disk_format="raw",
                                                   container_format="bare", os_version="1")
    answer = patch_json(api(), f"{IMAGES}{image.id}/properties/",
                        {"updated": {"os_distro": "debian"}, "removed": ["os_version"]})
    assert answer.status_code == 204, answer.content
    stored = glance_in(stack, region).images.get(image.id)
    assert stored.os_distro == "debian" and "os_version" not in stored


def test_a_read_snapshot_patched_back_whole(api, stack, region):
    """Nova snapshots carry instance_uuid; Horizon's edit form sends it all back."""
    image = glance_in(stack, region).images.create(
        name=unique(), disk_format="raw", container_format="bare",
        instance_uuid=str(uuid.uuid4()), os_distro="cirros", description="snap")
    body = api().get(f"{IMAGES}{image.id}/").json()
    body["name"] = "renamed"
    answer = patch_json(api(), f"{IMAGES}{image.id}/", body)
    assert answer.status_code == 204, answer.content
    stored = glance_in(stack, region).images.get(image.id)
    assert stored.name == "renamed" and stored.instance_uuid == image.instance_uuid


def test_schema_checks_described_values(api, stack):
    """kernel_id must be a UUID where the cloud's image schema says so (the
    main Glance); Horizon's kernel field is declared so in openapi.json."""
    for body, field, words in (({"kernel": "not-a-uuid"}, "kernel", "UUID"),
                               ({"properties": {"kernel_id": "not-a-uuid"}}, "kernel_id",
                                "does not match")):
        answer = put_json(api(), IMAGES, {"name": unique(), "disk_format": "raw", **body})
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["field"] == field and words in error["message"]


def test_plain_glance_takes_any_kernel_id(api, stack, api_settings):
    api_settings.OPENSTACK_REGION = PLAIN_REGION
    answer = put_json(api(), IMAGES, {"name": unique(), "disk_format": "raw",
                                      "properties": {"kernel_id": "not-a-uuid"}})
    assert answer.status_code == 201, answer.content
    assert answer.json()["properties"]["kernel_id"] == "not-a-uuid"


def test_image_patch_ignores_stale_properties(api, stack):
    """Horizon's Edit Image: the metadata step first, then the image it read."""
    glance = stack.glance("demo")
    image = glance.images.create(name=unique(), disk_format="raw", container_format="bare",
                                 keep="1", drop="2", change="old")
    client = api()
    read_at_open = client.get(f"{IMAGES}{image.id}/").json()
    answer = patch_json(client, f"{IMAGES}{image.id}/properties/",
                        {"updated": {"change": "new"}, "removed": ["drop"]})
    assert answer.status_code == 204
    read_at_open["name"] = "edited"
    answer = patch_json(client, f"{IMAGES}{image.id}/", read_at_open)
    assert answer.status_code == 204, answer.content
    stored = glance.images.get(image.id)
    assert stored.name == "edited" and stored.change == "new" and "drop" not in stored


@pytest.mark.parametrize("name", ["a/b", "x~1", "~/~", "ns:key"])
def test_property_names_with_json_pointer_characters(api, stack, name):
    glance = stack.glance("demo")
    image = glance.images.create(name=unique(), disk_format="raw", container_format="bare")
    url = f"{IMAGES}{image.id}/properties/"
    assert patch_json(api(), url, {"updated": {name: "v"}}).status_code == 204
    assert glance.images.get(image.id)[name] == "v"
    assert api().get(url).json() == {name: "v"}
    assert patch_json(api(), f"{IMAGES}{image.id}/", {name: "w"}).status_code == 204
    assert glance.images.get(image.id)[name] == "w"
    assert patch_json(api(), url, {"updated": {}, "removed": [name]}).status_code == 204
    assert name not in glance.images.get(image.id)


def test_long_property_name_is_400_everywhere(api, stack):
    image = stack.glance("demo").images.create(name=unique(), disk_format="raw",
                                               container_format="bare")
    long_name = "p" * 256
    for answer in (
            patch_json(api(), f"{IMAGES}{image.id}/properties/", {"updated": {long_name: "v"}}),
            patch_json(api(), f"{IMAGES}{image.id}/", {long_name: "v"}),
            put_json(api(), IMAGES, {"name": unique(), long_name: "v"})):
        assert answer.status_code == 400
        assert "1 to 255" in answer.json()["error"]["message"]


def test_url_source_without_url_creates_a_queued_image(api, stack):
    for body in ({"source_type": "url"}, {"source_type": "url", "image_url": ""}):
        answer = put_json(api(), IMAGES, {"name": unique(), "disk_format": "raw", **body})
        assert answer.status_code == 201, answer.content
        stored = stack.glance("demo").images.get(answer.json()["id"])
        assert stored.status == "queued"


def test_direct_upload_url_is_the_public_endpoint(api, stack, settings):
    """The API may talk to Glance's internal interface; the browser may not."""
    settings.HORIZON_IMAGES_UPLOAD_MODE = "direct"
    settings.OPENSTACK_REGION = PLAIN_REGION
    settings.OPENSTACK_ENDPOINT_TYPE = "internalURL"
    answer = put_json(api(), IMAGES, {"name": unique(), "disk_format": "raw",
                                      "source_type": "file-direct", "data": "disk.raw"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    public = f"http://127.0.0.1:{stack.plain_glance_port}"
    assert body["upload_url"] == f"{public}/v2/images/{body['id']}/file"
    assert api().get(f"{IMAGES}{body['id']}/").status_code == 200  # internal works too


def test_namespaces_properties_target(api):
    """Launch Instance asks for OS::Nova::Server namespaces per properties_target."""
    base = "/api/glance/metadefs/namespaces/?resource_type=OS::Nova::Server"
    every = api().get(base).json()["items"]
    metadata = api().get(base + "&properties_target=metadata").json()["items"]
    hints = api().get(base + "&properties_target=scheduler_hints").json()["items"]
    empty = api().get(base + "&properties_target=").json()["items"]

    def targets(namespace):
        return {a.get("properties_target") for a in namespace["resource_type_associations"]
                if a["name"] == "OS::Nova::Server"}
    assert metadata and all("metadata" in targets(ns) for ns in metadata)
    assert len(metadata) < len(every)
    assert hints and all("scheduler_hints" in targets(ns) for ns in hints)
    assert {ns["namespace"] for ns in empty} == {ns["namespace"] for ns in every}


def test_seed_example_urls_work_as_written(api, stack):
    """The example URLs of Horizon's own documentation of this API."""
    glance = stack.glance("demo")
    name = "cirros-0.3.2-x86_64-uec"
    image = glance.images.create(name=name, disk_format="raw", container_format="bare")
    client = api()
    answer = client.get(f"/api/glance/images?sort_dir=desc&sort_key=name&name={name}")
    assert answer.status_code == 200
    assert image.id in [item["id"] for item in answer.json()["items"]]
    answer = client.get("/api/glance/metadefs/namespaces?resource_types=OS::Nova::Flavor"
                        "&sort_dir=desc&marker=OS::Compute::Watchdog&paginate=False"
                        "&sort_key=namespace")
    assert answer.status_code == 200
    names = [ns["namespace"] for ns in answer.json()["items"]]
    assert names and names == sorted(names, reverse=True)
    assert all(n < "OS::Compute::Watchdog" for n in names)
    answer = client.get("/api/glance/resourcetypes/")
    assert answer.status_code == 200
    assert "OS::Nova::Flavor" in [rt["name"] for rt in answer.json()["items"]]
    assert client.delete(f"/api/glance/images/{image.id}").status_code == 204
    assert name not in [i.name for i in glance.images.list(filters={"name": name})]


@pytest.mark.parametrize("path", [
    "/api/glance/version", "/api/glance/images", "/api/glance/metadefs/resourcetypes",
    "/api/glance/metadefs/namespaces", "/api/glance/resourcetypes", "/api/auth/session",
])
def test_list_routes_answer_the_same_without_their_trailing_slash(api, stack, path):
    """Live, the same body either way (every documented path resolving both
    ways is tests/unit/test_contract.py's). The images listed are this test's
    own (a name filter): make test's other lane adds demo's images meanwhile."""
    query, image_id = {}, None
    if path + "/" == IMAGES:
        query = {"name": unique()}
        image_id = make_image(stack, name=query["name"])
    try:
        with_slash = api().get(path + "/", query)
        without = api().get(path, query)
    finally:
        if image_id:
            stack.glance("demo").images.delete(image_id)
    assert without.status_code == with_slash.status_code == 200
    assert without.json() == with_slash.json()
    if image_id:
        assert [i["id"] for i in without.json()["items"]] == [image_id]


def test_image_routes_without_trailing_slash(api, stack):
    glance = stack.glance("demo")
    image = glance.images.create(name=unique(), disk_format="raw", container_format="bare")
    base = f"{IMAGES}{image.id}"
    client = api()
    assert client.get(base).json()["id"] == image.id
    assert patch_json(client, base, {"name": "x"}).status_code == 204
    assert patch_json(client, base + "/properties", {"updated": {"a": "b"}}).status_code == 204
    assert client.get(base + "/properties").json() == {"a": "b"}
    put = client.put(base + "/data", b"\0" * 512, content_type="application/octet-stream")
    assert put.status_code == 204
    assert client.get(base + "/data").status_code == 200
    assert client.post(base + "/actions/deactivate/").status_code == 204
    assert client.post(base + "/actions/reactivate").status_code == 204
    assert glance.images.get(image.id).status == "active"


def test_plain_region_lists_and_reads_the_same_images(api, stack, api_settings):
    image = stack.glance("demo").images.create(name=unique(), disk_format="raw",
                                               container_format="bare", os_distro="x")
    stack.glance("demo").images.upload(image.id, io.BytesIO(b"\0" * 1024))
    api_settings.OPENSTACK_REGION = PLAIN_REGION
    body = api().get(f"{IMAGES}{image.id}/").json()
    assert body["status"] == "active" and body["properties"] == {"os_distro": "x"}


def test_overlong_request_line_is_a_json_414(api_server):
    import requests

    answer = requests.get(f"{api_server.url}/api/glance/images/?name={'x' * 9000}", timeout=10)
    assert answer.status_code == 414
    assert answer.headers["Content-Type"] == "application/json"
    assert "too long" in answer.json()["error"]["message"]
    assert answer.json()["error"]["code"] == "uri_too_long"


def test_a_500_names_the_request_id(api, stack, monkeypatch):
    from glance_rest import glance

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")
    monkeypatch.setattr(glance, "image_get", broken)
    answer = api().get(f"{IMAGES}00000000-0000-0000-0000-000000000000/")
    assert answer.status_code == 500
    message = answer.json()["error"]["message"]
    assert answer["X-Request-Id"] in message and "secret" not in message
