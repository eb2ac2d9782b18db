"""Sharing an image with another project (members, the pending inbox) and
tags one at a time, as real users of the stack."""

import concurrent.futures
import json

import pytest

from tests.helpers import IMAGES, put_json, unique

pytestmark = pytest.mark.stack


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def listed_ids(client, **query):
    return {i["id"] for i in client.get(IMAGES, query).json()["items"]}


@pytest.fixture
def shared_image(stack):
    glance = stack.glance("demo")
    image = glance.images.create(name=unique("share"), disk_format="raw",
                                 container_format="bare", visibility="shared")
    yield image.id
    glance.images.delete(image.id)


def test_share_accept_and_unshare(api, stack, shared_image):
    demo, alt = api("demo"), api("alt_demo")
    alt_project = stack.project_id("alt_demo")
    members = f"{IMAGES}{shared_image}/members/"
    # Not shared yet: alt_demo cannot see the image nor its members.
    assert alt.get(f"{IMAGES}{shared_image}/").status_code == 404
    assert alt.get(members).status_code == 404

    added = post_json(demo, members, {"member": alt_project})
    assert added.status_code == 201
    assert added["Location"] == f"{members}{alt_project}/"
    assert added.json()["status"] == "pending" and added.json()["member_id"] == alt_project
    listed = demo.get(members).json()["items"]
    assert [(m["member_id"], m["status"]) for m in listed] == [(alt_project, "pending")]
    assert set(listed[0]) == {"member_id", "image_id", "status", "created_at", "updated_at"}

    # The inbox shows it; the default list (accepted shares only) does not.
    assert shared_image in listed_ids(alt, visibility="shared", member_status="pending")
    assert shared_image not in listed_ids(alt)

    # Only the member answers: the owner gets Glance's 403.
    refused = put_json(demo, f"{members}{alt_project}/", {"status": "accepted"})
    assert refused.status_code == 403
    assert "modify_member" in refused.json()["error"]["message"]
    # A member cannot share further.
    onward = post_json(alt, members, {"member": stack.project_id("admin")})
    assert onward.status_code == 403

    accepted = put_json(alt, f"{members}{alt_project}/", {"status": "accepted"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert shared_image in listed_ids(alt)
    assert shared_image not in listed_ids(alt, visibility="shared", member_status="pending")
    assert stack.glance("alt_demo").images.get(shared_image).id == shared_image

    assert demo.delete(f"{members}{alt_project}/").status_code == 204
    assert alt.get(f"{IMAGES}{shared_image}/").status_code == 404
    assert shared_image not in listed_ids(alt)
    assert demo.get(members).json()["items"] == []


def test_rejected_share_leaves_the_inbox(api, stack, shared_image):
    alt_project = stack.project_id("alt_demo")
    members = f"{IMAGES}{shared_image}/members/"
    assert post_json(api("demo"), members, {"member": alt_project}).status_code == 201
    alt = api("alt_demo")
    assert put_json(alt, f"{members}{alt_project}/", {"status": "rejected"}).json()["status"] \
        == "rejected"
    assert shared_image not in listed_ids(alt, visibility="shared", member_status="pending")
    assert shared_image in listed_ids(alt, visibility="shared", member_status="rejected")
    assert shared_image in listed_ids(alt, visibility="shared", member_status="all")


def test_sharing_a_private_image_says_to_set_visibility_first(api, stack):
    glance = stack.glance("demo")
    image = glance.images.create(name=unique(), disk_format="raw", container_format="bare",
                                 visibility="private")
    answer = post_json(api("demo"), f"{IMAGES}{image.id}/members/",
                       {"member": stack.project_id("alt_demo")})
    assert answer.status_code == 409
    assert "'shared' first" in answer.json()["error"]["message"]
    # Nothing changed behind the owner's back.
    assert glance.images.get(image.id).visibility == "private"
    # Glance's own word on a private image's members.
    listed = api("demo").get(f"{IMAGES}{image.id}/members/")
    assert listed.status_code == 403 and "shared" in listed.json()["error"]["message"]


@pytest.mark.parametrize("body, field", [
    ({}, "member"), ({"member": ""}, "member"), ({"member": 5}, "member"),
    ({"member": "x" * 256}, "member"),
])
def test_bad_member_bodies(api, shared_image, body, field):
    answer = post_json(api("demo"), f"{IMAGES}{shared_image}/members/", body)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_bad_member_status(api, stack, shared_image):
    alt_project = stack.project_id("alt_demo")
    post_json(api("demo"), f"{IMAGES}{shared_image}/members/", {"member": alt_project})
    for status in ("yes", None, "ACCEPTED"):
        answer = put_json(api("alt_demo"), f"{IMAGES}{shared_image}/members/{alt_project}/",
                          {"status": status})
        assert answer.status_code == 400 and answer.json()["error"]["field"] == "status"


def test_member_quota_is_glances_413(api, stack, shared_image):
    glance = stack.glance("demo")
    quota = 128  # Glance's image_member_quota default
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: glance.image_members.create(shared_image, f"project-{n:03d}"),
                      range(quota)))
    answer = post_json(api("demo"), f"{IMAGES}{shared_image}/members/", {"member": "one-more"})
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"


def test_tags_one_at_a_time(api, stack, shared_image):
    demo = api("demo")
    tag = unique("tag")
    base = f"{IMAGES}{shared_image}/tags/"
    assert demo.put(f"{base}{tag}/").status_code == 204
    assert demo.put(f"{base}{tag}/").status_code == 204  # adding twice: still one
    assert demo.put(f"{base}with%20space/").status_code == 204
    assert sorted(stack.glance("demo").images.get(shared_image).tags) == sorted([tag, "with space"])
    assert shared_image in listed_ids(demo, tag=tag)
    assert demo.delete(f"{base}{tag}/").status_code == 204
    assert stack.glance("demo").images.get(shared_image).tags == ["with space"]
    assert shared_image not in listed_ids(demo, tag=tag)
    missing = demo.delete(f"{base}{tag}/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    # Someone else's image: Glance's answer, the image untouched.
    intruder = api("alt_demo").put(f"{base}intruder/")
    assert intruder.status_code == 404, intruder.content
    assert "intruder" not in stack.glance("demo").images.get(shared_image).tags


def test_tag_quota_is_glances_413(api, stack, shared_image):
    glance = stack.glance("demo")
    glance.images.update(shared_image, tags=[f"t{n}" for n in range(128)])
    answer = api("demo").put(f"{IMAGES}{shared_image}/tags/one-more/")
    assert answer.status_code == 413
    assert len(glance.images.get(shared_image).tags) == 128


def test_bad_tags(api, shared_image):
    demo = api("demo")
    assert demo.put(f"{IMAGES}{shared_image}/tags/{'x' * 256}/").status_code == 400
    assert demo.put(f"{IMAGES}{shared_image}/tags/%F0%9F%98%80/").status_code == 400
    # "/" cannot be in a tag's URL: no route.
    assert demo.put(f"{IMAGES}{shared_image}/tags/a%2Fb/").status_code == 404
