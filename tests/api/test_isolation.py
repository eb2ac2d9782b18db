"""Tenant isolation through every endpoint, and concurrent users never crossing."""

import concurrent.futures
import io
import json
import uuid

import pytest

from tests.helpers import IMAGES, LoadBalancer, patch_json, unique

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def images(stack):
    """demo's private image with data, alt_demo's own, and shared/community ones."""
    demo, alt, admin = stack.glance("demo"), stack.glance("alt_demo"), stack.glance("admin")
    made = {}
    for key, client, visibility in (("demo_private", demo, "private"),
                                    ("alt_private", alt, "private"),
                                    ("demo_community", demo, "community"),
                                    ("demo_shared", demo, "shared"),
                                    ("admin_public", admin, "public")):
        image = client.images.create(name=unique(key), disk_format="raw", container_format="bare",
                                     visibility=visibility, secret="s3cr3t", tags=["private-tag"])
        client.images.upload(image.id, io.BytesIO(b"data of " + key.encode()))
        made[key] = (client, image.id)
    yield {key: image_id for key, (_, image_id) in made.items()}
    for client, image_id in made.values():
        client.images.delete(image_id)


def listed(client):
    return {i["id"] for i in client.get(IMAGES).json()["items"]}


def test_each_user_lists_what_glance_allows(api, images):
    demo, alt = listed(api("demo")), listed(api("alt_demo"))
    assert {images["demo_private"], images["demo_community"], images["demo_shared"],
            images["admin_public"]} <= demo
    assert images["alt_private"] not in demo
    assert {images["alt_private"], images["admin_public"]} <= alt
    assert images["demo_private"] not in alt and images["demo_shared"] not in alt
    # Community images are not listed by default but can be read by anyone.
    community = api("alt_demo").get(IMAGES, {"visibility": "community"}).json()["items"]
    assert images["demo_community"] in {i["id"] for i in community}


def test_shared_image_visible_to_a_member_only_after_sharing(api, images, stack):
    image_id = images["demo_shared"]
    assert api("alt_demo").get(f"{IMAGES}{image_id}/").status_code == 404
    alt_project = stack.auth("alt_demo").get_access(stack.session("alt_demo")).project_id
    stack.glance("demo").image_members.create(image_id, alt_project)
    try:
        assert api("alt_demo").get(f"{IMAGES}{image_id}/").status_code == 200
        # A member may read a shared image but not change it.
        answer = patch_json(api("alt_demo"), f"{IMAGES}{image_id}/", {"name": "taken"})
        assert answer.status_code == 403, answer.content
    finally:
        stack.glance("demo").image_members.delete(image_id, alt_project)


# Every operation on one image (openapi.json's /api/glance/images/{image_id}/...
# paths; the data uploads are the next test's).
@pytest.mark.parametrize("method, suffix, body", [
    ("get", "", None),
    ("patch", "", {"name": "stolen"}),
    ("delete", "", None),
    ("get", "properties/", None),
    ("patch", "properties/", {"updated": {"x": "1"}, "removed": ["secret"]}),
    ("post", "actions/deactivate", None),
    ("post", "actions/reactivate", None),
    ("get", "data/", None),
    ("get", "members/", None),
    ("post", "members/", {"member": "someone"}),
    ("put", "members/someone/", {"status": "accepted"}),
    ("delete", "members/someone/", None),
    ("put", "tags/stolen/", None),
    ("delete", "tags/private-tag/", None),
    ("post", "import/", {"method": "copy-image", "stores": ["archive"]}),
    ("post", "import/", {"method": "glance-direct"}),
    ("post", "import/", {"method": "web-download", "uri": "http://127.0.0.1:9/x"}),
    ("delete", "stores/local/", None),
    ("get", "tasks/", None),
])
def test_other_projects_private_image_is_out_of_reach(api, images, stack, method, suffix, body):
    image_id = images["demo_private"]
    client = api("alt_demo")
    url = f"{IMAGES}{image_id}/{suffix}"
    if body is None:
        answer = getattr(client, method)(url)
    else:
        answer = getattr(client, method)(url, json.dumps(body), content_type="application/json")
    # Glance answers as if the image did not exist.
    assert answer.status_code == 404, answer.content
    assert "s3cr3t" not in answer.content.decode()
    stored = stack.glance("demo").images.get(image_id)
    assert stored.name.startswith("demo_private") and stored.status == "active"
    assert stored.secret == "s3cr3t" and stored.tags == ["private-tag"]
    assert stored.stores == "local"


@pytest.mark.parametrize("suffix", ["data/", "data/?store=archive", "stage/"])
def test_cannot_upload_into_other_projects_image(api, stack, tokens, suffix):
    image_id = stack.glance("demo").images.create(name=unique(), disk_format="raw",
                                                  container_format="bare").id
    answer = api("alt_demo").put(f"{IMAGES}{image_id}/{suffix}", b"intruder",
                                 content_type="application/octet-stream")
    assert answer.status_code == 404, answer.content
    assert stack.glance("demo").images.get(image_id).status == "queued"


def test_other_projects_private_namespace_is_out_of_reach(api, stack):
    admin = stack.glance("admin")
    name = f"GlanceRest::Private::{uuid.uuid4().hex[:8]}"
    admin.metadefs_namespace.create(namespace=name, visibility="private")
    try:
        assert api("admin").get(f"/api/glance/metadefs/namespaces/{name}/").status_code == 200
        answer = api("demo").get(f"/api/glance/metadefs/namespaces/{name}/")
        assert answer.status_code == 404, answer.content
    finally:
        admin.metadefs_namespace.delete(name)


def test_member_cannot_publicize_existing_image(api, images):
    answer = patch_json(api("demo"), f"{IMAGES}{images['demo_private']}/",
                        {"visibility": "public"})
    assert answer.status_code == 403
    assert "publicize_image" in answer.json()["error"]["message"]


def test_concurrent_users_never_cross(api_server, tokens, images):
    """Interleaved requests of both users on the same server threads."""
    import requests

    expectations = {"demo": (images["demo_private"], images["alt_private"]),
                    "alt_demo": (images["alt_private"], images["demo_private"])}

    def call(n):
        user = "demo" if n % 2 else "alt_demo"
        own, other = expectations[user]
        headers = {"X-Auth-Token": tokens(user)}
        mine = requests.get(f"{api_server.url}{IMAGES}{own}/", headers=headers, timeout=30)
        theirs = requests.get(f"{api_server.url}{IMAGES}{other}/", headers=headers, timeout=30)
        listing = requests.get(f"{api_server.url}{IMAGES}", headers=headers, timeout=30).json()
        ids = {i["id"] for i in listing["items"]}
        return (mine.status_code, theirs.status_code, own in ids, other in ids)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(96)))
    assert all(r == (200, 404, True, False) for r in results), results


def test_metadefs_cache_follows_glance(api, stack):
    """Namespace bodies are reused, but what Glance changes shows at once."""
    admin = stack.glance("admin")
    name = f"GlanceRest::Test::{uuid.uuid4().hex[:8]}"
    admin.metadefs_namespace.create(
        namespace=name, visibility="private", description="first",
        resource_type_associations=[{"name": "OS::Glance::Image", "prefix": "gr_"}],
        properties={"p1": {"type": "string", "title": "P1"}})
    query = {"resource_type": "OS::Glance::Image"}
    try:
        def as_admin():
            items = api("admin").get("/api/glance/metadefs/namespaces/", query).json()["items"]
            return next((n for n in items if n["namespace"] == name), None)

        first = as_admin()
        assert first["description"] == "first" and set(first["properties"]) == {"gr_p1"}
        # Private to admin's project: demo never sees it, cache warm or not.
        demo_items = api("demo").get("/api/glance/metadefs/namespaces/", query).json()["items"]
        assert name not in {n["namespace"] for n in demo_items}
        admin.metadefs_namespace.update(name, description="second")
        assert as_admin()["description"] == "second"
    finally:
        admin.metadefs_namespace.delete(name)
    assert as_admin() is None


def test_request_log_line_and_ids(api, images, caplog, tokens):
    caplog.set_level("INFO", logger="glance_rest.requests")
    answer = api("demo").get(f"{IMAGES}{images['demo_private']}/")
    assert answer.status_code == 200
    assert answer["X-Request-Id"].startswith("req-")
    assert answer["X-OpenStack-Request-Id"].startswith("req-")
    lines = [r.getMessage() for r in caplog.records if r.name == "glance_rest.requests"]
    line = next(entry for entry in lines if answer["X-Request-Id"] in entry)
    assert f"GET {IMAGES}{images['demo_private']}/ 200" in line
    assert "user=" in line and "project=" in line and "ms" in line
    assert answer["X-OpenStack-Request-Id"] in line
    assert tokens("demo") not in "\n".join(caplog.messages)


def test_no_cookie_from_glance_goes_with_another_users_call(api_settings, stack, tokens,
                                                            images):
    """A load balancer in front of Glance sets a sticky-session cookie on
    every answer; the API's pooled Glance connection never sends one back,
    whoever calls next. (The API's own Glance client, at the balancer's
    address: the catalog names Glance itself.)"""
    from glance_rest import backend
    from glance_rest.glance import Glance

    own = {"demo": images["demo_private"], "alt_demo": images["alt_private"]}
    with LoadBalancer(stack.glance_url) as balancer:
        for user in ("demo", "alt_demo", "demo"):
            found = Glance.at(balancer.url, tokens(user)).get(f"/v2/images/{own[user]}")
            assert found["id"] == own[user]
    assert [path for _, path, _ in balancer.seen] == [
        f"/v2/images/{own[user]}" for user in ("demo", "alt_demo", "demo")]
    assert balancer.cookies() == [None, None, None]
    assert not backend.glance_http.cookies
