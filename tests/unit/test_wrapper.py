"""The glance wrapper against a fake Glance transport: every branch that maps
or works around a Glance answer (no stack; the real glanceclient above it)."""

import pytest
from django.core.cache import cache

from glance_rest import discovery
from glance_rest import glance as api
from glance_rest.errors import ApiError, GlanceError, from_client_error
from glance_rest.glance import schema as schema_module
from tests.unit import fake_glance

IMAGE_SCHEMA = {"name": "image", "properties": {
    "id": {}, "name": {}, "status": {"readOnly": True}, "visibility": {}, "tags": {},
    "disk_format": {"enum": [None, "raw", "qcow2"]},
    "container_format": {"enum": [None, "bare"]},
    "os_distro": {"type": "string", "is_base": False},
}}
# What Glance answers to a path it has no route for: webob.exc.HTTPNotFound()
# (glance/common/wsgi.py, Router._dispatch).
NO_ROUTE = fake_glance.glance_error(404)


@pytest.fixture
def fake():
    """The real glanceclient over the fake transport, which knows the image schema."""
    schema_module._parsed.clear()
    cache.clear()
    fake, glance = fake_glance.connect()
    fake.glance = glance
    fake.answer("GET", "/v2/schemas/image", body=IMAGE_SCHEMA)
    yield fake
    fake_glance.disconnect()


def image(image_id="i1", **extra):
    return {"id": image_id, "name": "n", "status": "active", "visibility": "private",
            "tags": [], **extra}


def test_error_answers_carry_their_status(fake):
    # glance/api/v2/image_data.py, upload: glance_store.StoreAddDisabled
    # (glanceclient has no exception of its own for a 410).
    message = "Error in store configuration. Adding images to store is disabled."
    fake.answer("PUT", "/v2/images/i1/file", *fake_glance.glance_error(410, message))
    with pytest.raises(GlanceError) as raised:
        api.image_upload(fake.glance, "i1", [b"data"], size=4)
    assert raised.value.status == 410
    assert from_client_error(raised.value).message == message


def test_a_deleted_marker_is_a_404_naming_the_marker(fake):
    # glance/db/sqlalchemy/api.py, _image_get (the marker's image), answered
    # 400 by glance/api/v2/images.py, index: HTTPBadRequest(explanation=e.msg).
    fake.answer("GET", "/v2/images", *fake_glance.glance_error(400, "No image found with ID m1"))
    with pytest.raises(ApiError) as raised:
        api.image_list(fake.glance, {}, {"marker": "m1", "sort_key": "name", "sort_dir": "asc",
                                         "paginate": True, "reversed_order": False,
                                         "page_size": 2})
    assert (raised.value.status, raised.value.field) == (404, "marker")


def test_other_listing_errors_pass_through(fake):
    # glance/common/exception.py, InvalidFilterOperatorValue, answered 400 by
    # glance/api/v2/images.py, index.
    fake.answer("GET", "/v2/images", *fake_glance.glance_error(
        400, "Unable to filter using the specified operator."))
    with pytest.raises(GlanceError):
        api.image_list(fake.glance, {}, {"marker": None, "sort_key": "name", "sort_dir": "asc",
                                         "paginate": False, "reversed_order": False,
                                         "page_size": 2})


def test_listing_follows_next_links_and_splits_properties(fake):
    first_page = {"images": [image("a", os_distro="x")], "next": "/v2/images?marker=a"}
    fake.answer("GET", "/v2/images", body=first_page)
    fake.answer("GET", "/v2/images", body={"images": [image("b"), image("c")]})
    items, has_more, has_prev = api.image_list(
        fake.glance, {"tag": ["t"]}, {"marker": None, "sort_key": "name", "sort_dir": "asc",
                                      "paginate": True, "reversed_order": False,
                                      "page_size": 2})
    assert [i["id"] for i in items] == ["a", "b"] and (has_more, has_prev) == (True, False)
    assert items[0]["properties"] == {"os_distro": "x"} and "os_distro" not in items[0]
    first, then = [path for _, path in fake.calls("GET") if path.startswith("/v2/images?")]
    # The next page with the first's query and the last item as marker: Glance's
    # next link keeps only the last sort_key.
    assert then == first + "&marker=a"
    assert "sort_key=name" in first and "sort_key=id" in first and "limit=3" in first
    assert "tag=t" in first


def test_import_status_only_when_an_import_is_in_question(fake):
    fake.answer("GET", "/v2/images/i1", body=image())
    assert "import" not in api.image_get(fake.glance, "i1")
    assert not any("/tasks" in path for _, path in fake.calls())


# 405: webob.exc.HTTPMethodNotAllowed as glance/common/wsgi.py, reject,
# raises it, rendered from webob's own template for that class.
METHOD_NOT_ALLOWED = (405, b"<html>\n <head>\n  <title>405 Method Not Allowed</title>\n </head>\n"
                      b" <body>\n  <h1>405 Method Not Allowed</h1>\n  The method GET is not "
                      b"allowed for this resource. <br /><br />\n\n </body>\n</html>",
                      {"Content-Type": "text/html; charset=UTF-8", "Allow": "PATCH"})


@pytest.mark.parametrize("answer", [NO_ROUTE, METHOD_NOT_ALLOWED], ids=["404", "405"])
def test_a_glance_without_the_tasks_api_gives_no_import_status(fake, answer):
    fake.answer("GET", "/v2/images/i1", body=image(status="importing"))
    fake.answer("GET", "/v2/images/i1/tasks", *answer)
    got = api.image_get(fake.glance, "i1")
    assert got["status"] == "importing" and got["import"] is None


def test_other_task_errors_are_not_hidden(fake):
    fake.answer("GET", "/v2/images/i1", body=image(status="importing"))
    # Glance answers its tasks route 404 for an image the caller may not see
    # (glance/api/v2/images.py, get_task_info); any other failure is its
    # catch-all: glance/common/wsgi.py, Resource.__call__, HTTPInternalServerError().
    fake.answer("GET", "/v2/images/i1/tasks", *fake_glance.glance_error(500))
    with pytest.raises(GlanceError):
        api.image_get(fake.glance, "i1")


def test_the_latest_task_is_the_import_status(fake):
    fake.answer("GET", "/v2/images/i1", body=image(os_glance_failed_import="s2"))
    fake.answer("GET", "/v2/images/i1/tasks", body={"tasks": [
        {"id": "t1", "status": "success", "created_at": "2026-01-01"},
        {"id": "t2", "status": "failure", "message": "bad", "created_at": "2026-02-01"}]})
    assert api.image_get(fake.glance, "i1")["import"]["task_id"] == "t2"


def test_update_sends_only_what_changed(fake):
    fake.answer("GET", "/v2/images/i1", body=image(name="same"))
    fake.answer("PATCH", "/v2/images/i1", body=image(name="same"))
    api.image_update(fake.glance, "i1", {"name": "same"})
    assert fake.calls("PATCH") == []
    api.image_update(fake.glance, "i1", {"name": "new", "tags": []})
    assert fake.requests[-1][2] == [{"op": "add", "path": "/name", "value": "new"}]


def test_removing_an_absent_property_retries_with_what_is_there(fake):
    # glance/api/v2/images.py, _do_remove: HTTPConflict(msg % path_root).
    fake.answer("PATCH", "/v2/images/i1", *fake_glance.glance_error(
        409, detail="Property gone does not exist."))
    fake.answer("PATCH", "/v2/images/i1", body=image())
    fake.answer("GET", "/v2/images/i1", body=image(here="1"))
    api.image_update_properties(fake.glance, "i1", {"a": "1"}, ["gone", "here"])
    patches = [body for method, _, body in fake.requests if method == "PATCH"]
    assert patches[1] == [{"op": "add", "path": "/a", "value": "1"},
                          {"op": "remove", "path": "/here"}]


def test_a_conflict_without_removals_is_glances_answer(fake):
    # glance/api/v2/images.py, _do_add: the one conflict Glance has for an add
    # (under the v2.0 patch type only; the wrapper sends v2.1): not retried.
    fake.answer("PATCH", "/v2/images/i1", *fake_glance.glance_error(
        409, detail="Property a already present."))
    with pytest.raises(GlanceError) as raised:
        api.image_update_properties(fake.glance, "i1", {"a": "1"})
    assert raised.value.status == 409 and len(fake.calls("PATCH")) == 1


def test_nothing_to_change_still_finds_a_missing_image(fake):
    # glance/db/__init__.py, ImageRepo.get, answered by glance/api/v2/images.py, show.
    fake.answer("GET", "/v2/images/nope", *fake_glance.glance_error(
        404, "No image found with ID nope"))
    with pytest.raises(GlanceError):
        api.image_update_properties(fake.glance, "nope", {}, [])


def test_sharing_needs_a_shared_image(fake):
    fake.answer("GET", "/v2/images/i1", body=image(visibility="private"))
    with pytest.raises(ApiError) as raised:
        api.member_add(fake.glance, "i1", "p2")
    assert raised.value.status == 409 and fake.calls("POST") == []


def test_an_image_without_data_downloads_as_none(fake):
    fake.answer("GET", "/v2/images/i1/file", 204)
    assert api.image_download(fake.glance, "i1") is None


def test_ranged_downloads(fake):
    fake.answer("GET", "/v2/images/i1/file", 206, b"abc",
                {"Content-Range": "bytes 0-2/9", "Content-Length": "3"})
    part = api.image_download_range(fake.glance, "i1", "bytes=0-2")
    assert part.status == 206 and b"".join(part.chunks()) == b"abc"
    assert part.headers == {"Content-Length": "3", "Content-Range": "bytes 0-2/9"}
    fake.answers.clear()
    # glance/common/wsgi.py, Request.get_range_from_request, for a 9-byte image.
    fake.answer("GET", "/v2/images/i1/file", *fake_glance.glance_error(
        416, "The Range requested is not available.",
        "Invalid start position in Range header. Start position MUST be in the "
        "inclusive range [0, 8]."))
    with pytest.raises(GlanceError) as raised:
        api.image_download_range(fake.glance, "i1", "bytes=99-")
    error = from_client_error(raised.value)
    assert error.status == 416
    assert error.message == ("The Range requested is not available. Invalid start position in "
                             "Range header. Start position MUST be in the inclusive range [0, 8].")


def test_ids_no_glance_could_hold_are_not_found(fake):
    with pytest.raises(ApiError) as raised:
        api.image_get_raw(fake.glance, "bad\x01id")
    assert raised.value.status == 404 and fake.calls() == []


def test_a_glance_without_import_or_stores_apis(fake):
    fake.answer("GET", "/v2/info/import", *NO_ROUTE)
    fake.answer("GET", "/v2/info/stores", *NO_ROUTE)
    assert discovery._import_methods(fake.glance) == []
    assert discovery._stores(fake.glance) == []


def test_namespaces_kept_for_a_properties_target(fake):
    summaries = [
        {"namespace": "a", "resource_type_associations": [
            {"name": "OS::Glance::Image", "properties_target": "image"}]},
        {"namespace": "b", "resource_type_associations": [
            {"name": "OS::Glance::Image", "properties_target": None}]}]
    fake.answer("GET", "/v2/metadefs/namespaces", body={"namespaces": summaries})
    fake.answer("GET", "/v2/metadefs/namespaces/a", body={"namespace": "a", "properties": {}})
    items, _, _ = api.metadefs_namespace_list(
        fake.glance, {"resource_types": "OS::Glance::Image"},
        {"marker": None, "sort_key": "namespace", "sort_dir": "asc", "paginate": False,
         "reversed_order": False, "page_size": 20},
        properties_target="image")
    assert [n["namespace"] for n in items] == ["a"]


def test_glances_bookkeeping_is_not_a_custom_property(fake):
    # What Glance 33 leaves on an image after an import (glance/async_/flows).
    fake.answer("GET", "/v2/images/i1", body=image(
        os_distro="cirros", hw_disk_bus="scsi", os_glance_importing_to_stores="",
        os_glance_failed_import="", os_glance_import_task="t1"))
    fake.answer("GET", "/v2/images/i1/tasks", body={"tasks": []})
    assert api.image_get(fake.glance, "i1")["properties"] == {
        "os_distro": "cirros", "hw_disk_bus": "scsi"}


def test_an_accepted_import_shows_its_task_while_the_image_is_uploading(fake):
    # Glance names the task as it accepts the import, before the image is
    # "importing" (seen on the stack right after a glance-direct import's 202).
    fake.answer("GET", "/v2/images/i1", body=image(status="uploading",
                                                   os_glance_import_task="t1"))
    fake.answer("GET", "/v2/images/i1/tasks", body={"tasks": [
        {"id": "t1", "status": "pending", "created_at": "2026-01-01",
         "updated_at": "2026-01-01"}]})
    assert api.image_get(fake.glance, "i1")["import"] == {
        "task_id": "t1", "status": "pending", "message": "", "updated_at": "2026-01-01"}
