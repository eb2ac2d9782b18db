"""Listing images and metadefs: pagination both ways, sort keys, filters."""

import io

import pytest

from tests.helpers import IMAGES, make_image, unique

pytestmark = pytest.mark.stack

NAMESPACES = "/api/glance/metadefs/namespaces/"


@pytest.fixture(scope="module")
def catalogue(stack):
    """7 images sharing a tag, with distinct names and sizes."""
    glance = stack.glance("demo")
    tag = unique("page")
    ids = []
    for n, size in enumerate([5, 300, 40, 7000, 1, 90, 2000]):
        image = glance.images.create(name=f"{tag}-{'gacefbd'[n]}", disk_format="raw",
                                     container_format="bare", tags=[tag])
        glance.images.upload(image.id, io.BytesIO(b"x" * size))
        ids.append(image.id)
    yield tag
    for image_id in ids:
        glance.images.delete(image_id)


def expected_order(stack, tag, sort_key, sort_dir):
    images = stack.glance("demo").images.list(filters={"tag": [tag]}, sort_key=[sort_key, "id"],
                                              sort_dir=[sort_dir, sort_dir])
    return [i.id for i in images]


@pytest.mark.parametrize("sort_key", ["name", "size", "created_at"])
@pytest.mark.parametrize("sort_dir", ["asc", "desc"])
def test_pages_forward_and_backward(api, stack, catalogue, settings, sort_key, sort_dir):
    settings.API_RESULT_PAGE_SIZE = 3
    expected = expected_order(stack, catalogue, sort_key, sort_dir)
    if sort_key == "size":
        sizes = [stack.glance("demo").images.get(i).size for i in expected]
        assert sizes == sorted(sizes, reverse=sort_dir == "desc")
    client = api()
    query = {"tag": catalogue, "paginate": "true", "sort_key": sort_key, "sort_dir": sort_dir}

    def get(**extra):
        body = client.get(IMAGES, {**query, **extra}).json()
        return [i["id"] for i in body["items"]], body["has_more_data"], body["has_prev_data"]

    first = get()
    assert first == (expected[0:3], True, False)
    middle = get(marker=first[0][-1])
    assert middle == (expected[3:6], True, True)
    last = get(marker=middle[0][-1])
    assert last == (expected[6:7], False, True)
    # Back from the last page, then back again to the first.
    back = get(marker=last[0][0], reversed_order="true")
    assert back == (expected[3:6], True, True)
    back_first = get(marker=back[0][0], reversed_order="True")
    assert back_first == (expected[0:3], True, False)


def test_unpaginated_list_and_default_order(api, stack, catalogue):
    body = api().get(IMAGES, {"tag": catalogue}).json()
    assert [i["id"] for i in body["items"]] == expected_order(stack, catalogue, "created_at",
                                                              "desc")
    assert body["has_more_data"] is False and body["has_prev_data"] is False
    item = body["items"][0]
    assert "properties" in item and "file" not in item and item["is_public"] is False


def test_filters(api, stack, catalogue):
    client = api()
    body = client.get(IMAGES, {"name": f"{catalogue}-a"}).json()
    assert [i["name"] for i in body["items"]] == [f"{catalogue}-a"]
    body = client.get(IMAGES, {"tag": catalogue, "size_min": "1000"}).json()
    assert sorted(i["size"] for i in body["items"]) == [2000, 7000]
    owner = body["items"][0]["owner"]
    body = client.get(IMAGES, {"tag": catalogue, "property-owner_id": owner,
                               "is_public": "false"}).json()
    assert len(body["items"]) == 0  # they are "shared" (Glance's default), not private
    body = client.get(IMAGES, {"tag": catalogue, "visibility": "shared"}).json()
    assert len(body["items"]) == 7
    body = client.get(IMAGES, {"tag": catalogue, "is_public": "None"}).json()
    assert len(body["items"]) == 7
    body = client.get(IMAGES, {"tag": catalogue, "is_public": "True"}).json()
    assert body["items"] == []


@pytest.mark.parametrize("query, field", [
    ({"sort_key": "bogus"}, "sort_key"), ({"sort_dir": "sideways"}, "sort_dir"),
    ({"paginate": "perhaps"}, "paginate"),
])
def test_bad_listing_parameters(api, query, field):
    answer = api().get(IMAGES, query)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_unknown_marker_is_404_for_images_and_namespaces(api):
    answer = api().get(IMAGES, {"marker": "00000000-0000-0000-0000-000000000000",
                                "paginate": "true"})
    assert answer.status_code == 404 and answer.json()["error"]["field"] == "marker"
    answer = api().get(NAMESPACES, {"marker": "No::Such::Namespace"})
    assert answer.status_code == 404


# --- metadefs -------------------------------------------------------------------
def test_namespaces_full_list(api, stack):
    body = api().get(NAMESPACES).json()
    direct = list(stack.glance("demo").metadefs_namespace.list())
    assert [n["namespace"] for n in body["items"]] == sorted(n["namespace"] for n in direct)
    watchdog = next(n for n in body["items"] if n["namespace"] == "OS::Compute::Watchdog")
    assert set(watchdog["properties"]) == {"watchdog_action"}  # unprefixed
    assert body["has_more_data"] is False


def test_namespaces_for_a_resource_type_have_prefixed_properties(api, stack):
    body = api().get(NAMESPACES, {"resource_type": "OS::Glance::Image"}).json()
    names = [n["namespace"] for n in body["items"]]
    assert "OS::Compute::Watchdog" in names
    watchdog = next(n for n in body["items"] if n["namespace"] == "OS::Compute::Watchdog")
    # For images Glance prefixes the watchdog's properties with hw_.
    assert set(watchdog["properties"]) == {"hw_watchdog_action"}
    direct = stack.glance("demo").metadefs_namespace.list(filters={
        "resource_types": ["OS::Glance::Image"]})
    assert names == sorted(n["namespace"] for n in direct)


def test_a_name_with_a_colon_lists_the_images_of_that_name(api, stack):
    """Glance reads name=ubuntu:22.04 as an operator "ubuntu" (400); the API
    asks for the exact name. Glance's own in: still works where meant."""
    tag = unique("colon")
    named = {name: make_image(stack, name=name) for name in (
        f"ubuntu:22.04-{tag}", f":x-{tag}", f"{tag}-plain")}
    client = api()
    for name, image_id in named.items():
        answer = client.get(IMAGES, {"name": name})
        assert answer.status_code == 200, answer.json()
        assert [i["id"] for i in answer.json()["items"]] == [image_id]
    either = client.get(IMAGES, {"name": f'in:"ubuntu:22.04-{tag}",{tag}-plain',
                                 "sort_key": "name", "sort_dir": "asc"})
    assert either.status_code == 200, either.json()
    assert [i["id"] for i in either.json()["items"]] == [
        named[f"{tag}-plain"], named[f"ubuntu:22.04-{tag}"]]
    unknown = client.get(IMAGES, {"name": f"in:nothing-{tag}"})
    assert unknown.status_code == 200 and unknown.json()["items"] == []


def test_namespaces_paginated(api, settings):
    settings.API_RESULT_PAGE_SIZE = 10
    client = api()
    everything = [n["namespace"] for n in client.get(NAMESPACES).json()["items"]]
    first = client.get(NAMESPACES, {"paginate": "true"}).json()
    assert [n["namespace"] for n in first["items"]] == everything[:10]
    assert (first["has_more_data"], first["has_prev_data"]) == (True, False)
    second = client.get(NAMESPACES, {"paginate": "true", "marker": everything[9]}).json()
    assert [n["namespace"] for n in second["items"]] == everything[10:20]
    assert (second["has_more_data"], second["has_prev_data"]) == (True, True)
    back = client.get(NAMESPACES, {"paginate": "true", "marker": everything[10],
                                   "reversed_order": "true"}).json()
    assert [n["namespace"] for n in back["items"]] == everything[:10]
    assert (back["has_more_data"], back["has_prev_data"]) == (True, False)


def test_resource_types(api):
    body = api().get("/api/glance/metadefs/resourcetypes/").json()
    names = {r["name"] for r in body["items"]}
    assert {"OS::Glance::Image", "OS::Nova::Flavor", "OS::Cinder::Volume"} <= names
