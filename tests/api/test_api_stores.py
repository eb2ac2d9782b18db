"""What the cloud offers (info, usage), importing by its methods, stores,
tasks, ranged downloads and single namespaces, against the multi-store stack."""

import hashlib
import json
import time

import pytest
import requests

from stack.testing import PLAIN_REGION
from tests.helpers import IMAGES, FileServer, make_image, wait_for_status

pytestmark = pytest.mark.stack


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def settled_tasks(fetch, timeout=30):
    """The image's tasks once the newest is done: Glance records the task's end
    just after the image's own status changes. Fails if it is not within
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = fetch()
        if tasks[0]["status"] not in ("pending", "processing"):
            return tasks
        assert time.monotonic() < deadline, f"the newest task is still {tasks[0]['status']}"
        time.sleep(0.2)


def test_info_lists_stores_methods_and_formats(api, stack):
    body = api().get("/api/glance/info/").json()
    assert body["import_methods"] == ["glance-direct", "web-download", "copy-image"]
    assert body["stores"] == [
        {"id": "local", "description": "Local disk (default)", "default": True},
        {"id": "archive", "description": "Archive disk", "default": False}]
    schema = stack.glance("demo").schemas.get("image").raw()["properties"]
    assert body["disk_formats"] == [f for f in schema["disk_format"]["enum"] if f]
    assert body["container_formats"] == [f for f in schema["container_format"]["enum"] if f]
    assert body["version"].startswith("v2.")
    assert body["upload_mode"] == "legacy" and body["max_upload_size"] > 0


def test_info_of_a_single_store_glance_has_no_stores(api, api_settings):
    api_settings.OPENSTACK_REGION = PLAIN_REGION
    body = api().get("/api/glance/info/").json()
    assert body["stores"] == []
    assert "web-download" in body["import_methods"]


def test_usage_is_what_glance_says(api, stack):
    """What the stack can show: Glance's own body, read directly, and the API's
    answer is its "usage" object.

    The stack enforces no Keystone limits (stack/config.py sets no
    use_keystone_limits), so Glance's answer is {"usage": {}} and the API's {}.
    Showing numbers would need Glance's [DEFAULT] use_keystone_limits and an
    [oslo_limit] section (a service user and Glance's endpoint id), and
    registered limits image_size_total, image_stage_total, image_count_total
    and image_count_uploading created for the image service by a system-scoped
    admin (the stack enforces scope): a change to the stack not made without
    running it. Numbers are tested in the unit tier on Glance's own answer
    (tests/unit/test_discovery.py, its api-ref sample)."""
    direct = stack.glance("demo").http_client.get("/v2/info/usage")[1]
    assert direct == {"usage": {}}
    answer = api().get("/api/glance/info/usage/")
    assert answer.status_code == 200
    assert answer.json() == direct["usage"]


def test_glance_direct_import_of_64_mib(api_server, stack, tokens):
    image_id = make_image(stack)
    chunk = bytes(range(256)) * 4096  # 1 MiB
    expected = hashlib.sha512(chunk * 64).hexdigest()
    headers = {"X-Auth-Token": tokens("demo")}
    staged = requests.put(f"{api_server.url}{IMAGES}{image_id}/stage/",
                          data=(chunk for _ in range(64)), timeout=120,
                          headers={**headers, "Content-Type": "application/octet-stream"})
    assert staged.status_code == 204, staged.text
    assert stack.glance("demo").images.get(image_id).status == "uploading"
    started = requests.post(f"{api_server.url}{IMAGES}{image_id}/import/", timeout=30,
                            json={"method": "glance-direct"}, headers=headers)
    assert started.status_code == 202
    image = wait_for_status(stack.glance("demo"), image_id, "active")
    assert image.os_hash_value == expected and image.size == 64 << 20
    tasks = settled_tasks(lambda: requests.get(f"{api_server.url}{IMAGES}{image_id}/tasks/",
                                                headers=headers, timeout=30).json()["items"])
    assert tasks[0]["status"] == "success" and tasks[0]["type"] == "api_image_import"
    assert set(tasks[0]) == {"id", "type", "status", "message", "created_at", "updated_at",
                             "result"}
    # Glance's bookkeeping of the import stays on the image; it is not shown
    # as a custom property, and no one may set it.
    raw = stack.glance("demo").http_client.get(f"/v2/images/{image_id}")[1]
    assert "os_glance_importing_to_stores" in raw
    url = f"{api_server.url}{IMAGES}{image_id}/"
    shown = requests.get(url, headers=headers, timeout=30).json()
    assert [key for key in shown["properties"] if key.startswith("os_glance_")] == []
    assert requests.get(url + "properties/", headers=headers, timeout=30).json() == {}
    refused = requests.patch(url + "properties/", headers=headers, timeout=30,
                             json={"updated": {"os_glance_import_task": "mine"}})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Attribute 'os_glance_import_task' is reserved."


def test_import_preconditions_are_glances_409(api, stack):
    queued = make_image(stack)
    answer = post_json(api(), f"{IMAGES}{queued}/import/", {"method": "glance-direct"})
    assert answer.status_code == 409 and "staged" in answer.json()["error"]["message"]
    answer = post_json(api("admin"), f"{IMAGES}{queued}/import/",
                       {"method": "copy-image", "stores": ["archive"]})
    assert answer.status_code == 409 and "active" in answer.json()["error"]["message"]


def test_copy_to_a_second_store_and_remove_from_one(api, stack):
    data = b"copy me " * 1000
    image_id = make_image(stack, data=data)
    url = f"{IMAGES}{image_id}/"
    assert api().get(url).json()["stores"] == ["local"]
    # copy-image is an admin's under Glance's default policy.
    refused = post_json(api("demo"), url + "import/", {"method": "copy-image",
                                                        "stores": ["archive"]})
    assert refused.status_code == 403 and "copy_image" in refused.json()["error"]["message"]
    copied = post_json(api("admin"), url + "import/", {"method": "copy-image",
                                                       "stores": ["archive"]})
    assert copied.status_code == 202
    glance = stack.glance("demo")
    wait_for_status(glance, image_id, "active",
                    until=lambda image: image.stores == "local,archive")
    assert api().get(url).json()["stores"] == ["local", "archive"]

    assert api("demo").delete(url + "stores/archive/").status_code == 403
    assert api("admin").delete(url + "stores/local/").status_code == 204
    assert api().get(url).json()["stores"] == ["archive"]
    assert b"".join(api().get(url + "data/").streaming_content) == data


def test_upload_into_a_chosen_store(api, stack):
    image_id = make_image(stack)
    answer = api().put(f"{IMAGES}{image_id}/data/?store=archive", b"z" * 4096,
                       content_type="application/octet-stream")
    assert answer.status_code == 204
    assert stack.glance("demo").images.get(image_id).stores == "archive"
    unknown = api().put(f"{IMAGES}{make_image(stack)}/data/?store=nowhere", b"z",
                        content_type="application/octet-stream")
    assert unknown.status_code == 400 and "nowhere" in unknown.json()["error"]["message"]


def test_failed_import_shows_the_tasks_message(api, stack, tmp_path):
    image_id = make_image(stack)
    with FileServer(tmp_path, stack.import_port) as server:
        started = post_json(api(), f"{IMAGES}{image_id}/import/",
                            {"method": "web-download", "uri": server.url("missing.img")})
        assert started.status_code == 202
        wait_for_status(stack.glance("demo"), image_id, "queued",
                        until=lambda image: getattr(image, "os_glance_failed_import", ""))
    tasks = settled_tasks(lambda: api().get(f"{IMAGES}{image_id}/tasks/").json()["items"])
    assert tasks[0]["status"] == "failure" and tasks[0]["message"]
    assert api().get(f"{IMAGES}{image_id}/").json()["import"]["status"] == "failure"


def test_web_download_into_all_stores(api, stack, tmp_path):
    (tmp_path / "disk.raw").write_bytes(b"w" * 5000)
    image_id = make_image(stack)
    with FileServer(tmp_path, stack.import_port) as server:
        started = post_json(api(), f"{IMAGES}{image_id}/import/",
                            {"method": "web-download", "uri": server.url("disk.raw"),
                             "all_stores": True})
        assert started.status_code == 202
        image = wait_for_status(stack.glance("demo"), image_id, "active",
                                until=lambda i: i.stores == "local,archive")
    assert image.size == 5000


def test_ranged_download(api, stack):
    data = bytes(range(256)) * 40
    image_id = make_image(stack, data=data)
    url = f"{IMAGES}{image_id}/data/"
    whole = api().get(url)
    assert whole["Accept-Ranges"] == "bytes"
    for header, part in (("bytes=10-19", data[10:20]), ("bytes=10000-", data[10000:]),
                         ("bytes=-5", data[-5:]), ("bytes=0-0", data[:1])):
        answer = api().get(url, HTTP_RANGE=header)
        assert answer.status_code == 206, header
        assert b"".join(answer.streaming_content) == part
        assert answer["Content-Length"] == str(len(part))
        assert answer["Content-Range"].endswith(f"/{len(data)}")
    beyond = api().get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond.json()["error"]["code"] == "range_not_satisfiable"
    # A Range that is not one byte range is ignored (RFC 9110, 14.2): the whole data.
    for ignored in ("bytes=1-2,5-6", "lines=1-2", "bytes=abc", ""):
        answer = api().get(url, HTTP_RANGE=ignored)
        assert answer.status_code == 200 and b"".join(answer.streaming_content) == data
    # No data yet: nothing to take a part of, as without a range.
    queued = api().get(f"{IMAGES}{make_image(stack)}/data/", HTTP_RANGE="bytes=0-9")
    assert queued.status_code == 204


@pytest.mark.parametrize("body, field", [
    ({}, "method"), ({"method": "teleport"}, "method"),
    ({"method": "web-download"}, "uri"), ({"method": "web-download", "uri": "ftp://x/y"}, "uri"),
    ({"method": "glance-direct", "uri": "http://x/y"}, "uri"),
    ({"method": "copy-image", "stores": "archive"}, "stores"),
    ({"method": "copy-image", "stores": []}, "stores"),
    ({"method": "copy-image", "stores": ["archive"], "all_stores": True}, "all_stores"),
    ({"method": "copy-image", "all_stores": "yes"}, "all_stores"),
    ({"method": "glance-direct", "extra": 1}, "extra"),
])
def test_bad_import_bodies(api, stack, body, field):
    image_id = make_image(stack)
    answer = post_json(api(), f"{IMAGES}{image_id}/import/", body)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_one_namespace_for_a_resource_type(api):
    base = "/api/glance/metadefs/namespaces/OS::Compute::Libvirt/"
    image = api().get(base + "?resource_type=OS::Glance::Image").json()
    flavor = api().get(base + "?resource_type=OS::Nova::Flavor").json()
    assert image["namespace"] == "OS::Compute::Libvirt"
    assert image["properties"] and all(k.startswith("hw_") for k in image["properties"])
    assert flavor["properties"] and all(k.startswith("hw:") for k in flavor["properties"])
    missing = api().get("/api/glance/metadefs/namespaces/No::Such::Namespace/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_tasks_that_never_settle_fail_the_test():
    with pytest.raises(AssertionError, match="still processing"):
        settled_tasks(lambda: [{"status": "processing"}], timeout=0)
