"""Horizon 27's own JavaScript client against the live API, in Chromium.

Each test replays what a Horizon wizard or action does with
``horizon.app.core.openstack-service-api.glance`` (and the metadata service
its wizards save through), then reads what Glance holds directly.
"""

import hashlib
import io
import uuid

import pytest

from tests.helpers import FileServer, unique, wait_for_status
from tests.browser.horizon_page import log_in, open_page

pytestmark = [pytest.mark.stack, pytest.mark.browser]


@pytest.fixture(scope="module")
def horizon(browser, api_server, stack):
    """A logged-in page holding Horizon's services (as demo)."""
    context = browser.new_context()
    page = open_page(context, api_server.url)
    log_in(page, stack)
    yield page
    context.close()


def call(page, script, *args):
    """Run an async function of the page with ``args``; returns its value.
    Horizon's services add a toast on failure: those come back as "toasts"."""
    return page.evaluate(f"""async (args) => {{
        toasts.clearAll();
        const result = await ({script})(...args);
        return {{result, toasts: toasts.get().map(t => t.msg)}};
    }}""", list(args))


def test_page_loads_horizons_services(horizon):
    answer = call(horizon, "async () => (await glance.getVersion()).data")
    assert answer == {"result": {"version": "2"}, "toasts": []}


def test_create_image_from_a_file(horizon, stack):
    """Create Image, source File (legacy mode): the form model with the file,
    sent by Horizon's service as multipart through ng-file-upload."""
    name = unique("hz-file")
    payload = bytes(range(256)) * 64
    answer = call(horizon, """async (name, bytes) => {
        const file = new File([new Uint8Array(bytes)], "disk.raw");
        const progress = [];
        const model = {source_type: "file-legacy", image_url: "", data: file,
                       is_copying: false, protected: false, min_disk: 0, min_ram: 0,
                       container_format: "", disk_format: "raw", visibility: "shared",
                       name: name, description: "from Horizon", architecture: "",
                       os_distro: "cirros"};
        const response = await glance.createImage(model, p => progress.push(p));
        return {status: response.status, image: response.data, progress};
    }""", name, list(payload))
    assert answer["toasts"] == []
    result = answer["result"]
    assert result["status"] == 201 and result["image"]["status"] == "active"
    stored = stack.glance("demo").images.get(result["image"]["id"])
    assert stored.name == name and stored.os_distro == "cirros"
    assert stored.description == "from Horizon" and "architecture" not in stored
    assert stored.os_hash_value == hashlib.sha512(payload).hexdigest()


def test_create_image_from_a_url_with_no_url_yet(horizon, stack):
    """Create Image with source URL and the URL left empty: created, queued."""
    name = unique("hz-nourl")
    answer = call(horizon, """async (name) => {
        const model = {source_type: "url", image_url: "", data: {}, is_copying: false,
                       protected: false, min_disk: 0, min_ram: 0, container_format: "",
                       disk_format: "raw", visibility: "private", name: name};
        delete model.data;  // create.action.service.js submit() does this for "url"
        const response = await glance.createImage(model);
        return {status: response.status, id: response.data.id};
    }""", name)
    assert answer["toasts"] == [] and answer["result"]["status"] == 201
    stored = stack.glance("demo").images.get(answer["result"]["id"])
    assert (stored.name, stored.status, stored.visibility) == (name, "queued", "private")


def test_create_image_from_a_url(horizon, stack, tmp_path):
    """Create Image with source URL (copied into Glance: web-download)."""
    payload = b"from a url " * 5000
    (tmp_path / "disk.raw").write_bytes(payload)
    with FileServer(tmp_path, stack.import_port) as server:
        answer = call(horizon, """async (name, url) => {
            const model = {source_type: "url", image_url: url, import_data: true,
                           protected: false, min_disk: 0, min_ram: 0, container_format: "",
                           disk_format: "raw", visibility: "shared", name: name};
            const response = await glance.createImage(model);
            return {status: response.status, id: response.data.id};
        }""", unique("hz-url"), server.url("disk.raw"))
        assert answer["toasts"] == [] and answer["result"]["status"] == 201
        stored = wait_for_status(stack.glance("demo"), answer["result"]["id"])
    assert stored.os_hash_value == hashlib.sha512(payload).hexdigest()


def test_edit_image_wizard(horizon, stack):
    """Edit Image: the wizard reads the image, the metadata step saves first,
    then the image step sends the object read at the start (stale properties)."""
    glance = stack.glance("demo")
    kernel = str(uuid.uuid4())
    image = glance.images.create(name=unique("hz-edit"), disk_format="raw",
                                 container_format="bare", description="old", kernel_id=kernel,
                                 architecture="x86_64", keep="1", drop="2", change="before")
    answer = call(horizon, """async (id) => {
        // edit-image.controller.js init()
        const image = (await glance.getImage(id)).data;
        image.kernel = image.properties.kernel_id;
        image.ramdisk = image.properties.ramdisk_id;
        image.architecture = image.properties.architecture;
        // what the user changes in the two steps
        image.name = image.name + "-edited";
        image.min_ram = 128;
        image.properties.description = "new";
        const stepMetadata = {keep: "1", change: "after", added: "yes"};
        // edit.action.service.js submit(): updateMetadata() then updateImage()
        const current = (await metadata.getMetadata("image", image.id)).data;
        const updated = stepMetadata;
        updated.description = image.properties.description;
        const removed = angular.copy(current);
        angular.forEach(updated, (value, key) => { delete removed[key]; });
        await metadata.editMetadata("image", image.id, updated, Object.keys(removed));
        const response = await glance.updateImage(image);
        return response.status;
    }""", image.id)
    assert answer == {"result": 204, "toasts": []}
    stored = glance.images.get(image.id)
    assert stored.name.endswith("-edited") and stored.min_ram == 128
    assert stored.description == "new" and stored.change == "after" and stored.added == "yes"
    assert stored.keep == "1" and "drop" not in stored
    # The metadata step removed kernel_id and architecture; Horizon's image step
    # sends them back from the form (kernel/architecture fields), as Horizon does.
    assert stored.kernel_id == kernel and stored.architecture == "x86_64"


def test_update_metadata_action(horizon, stack):
    glance = stack.glance("demo")
    image = glance.images.create(name=unique("hz-meta"), disk_format="raw",
                                 container_format="bare", a="1", b="2", os_version="1")
    answer = call(horizon, """async (id) => {
        const response = await metadata.editMetadata(
            "image", id, {a: "10", c: "3", os_distro: "debian", os_hash_value: "x"},
            ["b", "os_version"]);
        return response.status;
    }""", image.id)
    assert answer == {"result": 204, "toasts": []}
    stored = glance.images.get(image.id)
    assert (stored.a, stored.c, stored.os_distro) == ("10", "3", "debian")
    assert "b" not in stored and "os_version" not in stored


def test_launch_instance_metadata_definitions(horizon, stack):
    """launch-instance-model.service.js getMetadataDefinitions()."""
    answer = call(horizon, """async () => {
        const kinds = {flavor: ["OS::Nova::Flavor", ""], image: ["OS::Glance::Image", ""],
                       volume: ["OS::Cinder::Volumes", ""],
                       instance: ["OS::Nova::Server", "metadata"],
                       hints: ["OS::Nova::Server", "scheduler_hints"]};
        const found = {};
        for (const [key, [type, target]] of Object.entries(kinds)) {
            const response = await glance.getNamespaces(
                {resource_type: type, properties_target: target}, true);
            found[key] = response.data.items.map(ns => ({
                namespace: ns.namespace,
                targets: ns.resource_type_associations.filter(a => a.name === type)
                                                      .map(a => a.properties_target || ""),
                properties: Object.keys(ns.properties || {})}));
        }
        return found;
    }""")
    found = answer["result"]
    assert answer["toasts"] == []
    assert found["instance"] and all("metadata" in ns["targets"] for ns in found["instance"])
    assert all("scheduler_hints" in ns["targets"] for ns in found["hints"])
    assert not {ns["namespace"] for ns in found["instance"]} & {
        ns["namespace"] for ns in found["hints"] if "metadata" not in ns["targets"]}
    assert found["flavor"] and found["image"]
    # Properties come prefixed for the resource type (e.g. hw: for flavors).
    assert any(p.startswith("hw:") for ns in found["flavor"] for p in ns["properties"])
    everything = {ns.namespace for ns in stack.glance("demo").metadefs_namespace.list(
        filters={"resource_types": ["OS::Nova::Server"]})}
    assert {ns["namespace"] for ns in found["instance"]} < everything


def test_deactivate_reactivate_and_delete(horizon, stack):
    glance = stack.glance("demo")
    image = glance.images.create(name=unique("hz-actions"), disk_format="raw",
                                 container_format="bare")
    glance.images.upload(image.id, io.BytesIO(b"\0" * 4096))
    answer = call(horizon, "async (id) => (await glance.deactivateImage({id})).status", image.id)
    assert answer == {"result": 204, "toasts": []}
    assert glance.images.get(image.id).status == "deactivated"
    answer = call(horizon, "async (id) => (await glance.reactivateImage({id})).status", image.id)
    assert answer == {"result": 204, "toasts": []}
    assert glance.images.get(image.id).status == "active"
    answer = call(horizon, "async (id) => (await glance.deleteImage(id)).status", image.id)
    assert answer == {"result": 204, "toasts": []}
    assert image.id not in [i.id for i in glance.images.list(filters={"id": image.id})]


def test_list_with_horizons_paging(horizon, stack):
    """The images table: paginate, then the next page by marker, then back."""
    glance = stack.glance("demo")
    tag = unique("hz-page")
    ids = [glance.images.create(name=f"{tag}-{n}", disk_format="raw", container_format="bare",
                                tags=[tag]).id for n in range(25)]
    answer = call(horizon, """async (tag) => {
        const first = (await glance.getImages({paginate: true, sort_key: "name",
                                               sort_dir: "asc", tag})).data;
        const last = first.items[first.items.length - 1].id;
        const second = (await glance.getImages({paginate: true, sort_key: "name",
                                                sort_dir: "asc", tag, marker: last})).data;
        const back = (await glance.getImages({paginate: true, sort_key: "name", sort_dir: "asc",
                                              tag, marker: second.items[0].id,
                                              reversed_order: true})).data;
        const names = page => page.items.map(i => i.name);
        return {first: names(first), second: names(second), back: names(back),
                flags: [first.has_more_data, first.has_prev_data,
                        second.has_more_data, second.has_prev_data]};
    }""", tag)
    result = answer["result"]
    names = sorted(f"{tag}-{n}" for n in range(25))
    assert result["first"] == names[:20] and result["second"] == names[20:]
    assert result["back"] == names[:20]
    assert result["flags"] == [True, False, False, True]
    assert len(ids) == 25


def test_refusals_reach_horizons_error_path(horizon, stack):
    """A 4xx from the API is a failure to Horizon's service (its toast shows)."""
    answer = call(horizon, """async () => {
        const response = await glance.getImage("00000000-0000-0000-0000-000000000000");
        return response === undefined ? null : response.status;
    }""")
    assert answer == {"result": None, "toasts": ["Unable to retrieve the image."]}


def test_create_image_by_direct_upload(browser, direct_api_server, stack):
    """Create Image, source File in direct mode: the API creates the image and
    hands out Glance's URL and the token; Horizon's service then PUTs the file
    to Glance itself, cross-origin (Glance's CORS allows the API's origin)."""
    context = browser.new_context()
    try:
        page = open_page(context, direct_api_server.url)
        log_in(page, stack)
        payload = b"direct from the browser " * 4000
        answer = call(page, """async (name, bytes) => {
            const file = new File([new Uint8Array(bytes)], "disk.raw");
            const model = {source_type: "file-direct", image_url: "", data: file,
                           is_copying: false, protected: false, min_disk: 0, min_ram: 0,
                           container_format: "", disk_format: "raw", visibility: "private",
                           name: name};
            const response = await glance.createImage(model, () => {});
            return {status: response.status, id: response.data.id,
                    upload_url: response.data.upload_url};
        }""", unique("hz-direct"), list(payload))
        assert answer["toasts"] == [], answer
        result = answer["result"]
        assert result["status"] == 201
        assert result["upload_url"].startswith(stack.glance_url)
        stored = stack.glance("demo").images.get(result["id"])
        assert stored.status == "active"
        assert stored.os_hash_value == hashlib.sha512(payload).hexdigest()
    finally:
        context.close()
