"""Metadefs administration, pure logic and against the fake Glance: the
documents import takes and export gives, the requests each write makes, and
the namespaces cache's generations (no stack)."""

import logging

import pytest
from django.core.cache import cache

from glance_rest import contract
from glance_rest import glance as api
from glance_rest.errors import ApiError, GlanceError, from_client_error
from glance_rest.glance import metadefs
from tests.unit import fake_glance

# A namespace as Glance's GET shows it: what Glance sets at every level.
SHOWN = {
    "namespace": "GR::Sample", "display_name": "Sample", "description": "d",
    "visibility": "public", "protected": True, "owner": "p1",
    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    "self": "/v2/metadefs/namespaces/GR::Sample", "schema": "/v2/schemas/metadefs/namespace",
    "resource_type_associations": [
        {"name": "OS::Glance::Image", "prefix": "hw_", "created_at": "2026-01-01T00:00:00Z"},
        {"name": "OS::Cinder::Volume", "prefix": "hw_", "properties_target": "image",
         "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}],
    "properties": {"watchdog_action": {"title": "Watchdog", "type": "string",
                                       "enum": ["reset", "none"], "description": None}},
    "objects": [{"name": "CPU Limits", "description": "c", "required": ["quota:cpu_period"],
                 "properties": {"quota:cpu_period": {"title": "Period", "type": "integer",
                                                     "minimum": 1000}},
                 "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                 "schema": "/v2/schemas/metadefs/object",
                 "self": "/v2/metadefs/namespaces/GR::Sample/objects/CPU Limits"}],
    "tags": [{"name": "t1", "created_at": "2026-01-01T00:00:00Z"}],
}
DOCUMENT = {
    "namespace": "GR::Sample", "display_name": "Sample", "description": "d",
    "visibility": "public", "protected": True,
    # In name order, as exports are (SHOWN's is Glance's creation order).
    "resource_type_associations": [
        {"name": "OS::Cinder::Volume", "prefix": "hw_", "properties_target": "image"},
        {"name": "OS::Glance::Image", "prefix": "hw_"}],
    "properties": {"watchdog_action": {"title": "Watchdog", "type": "string",
                                       "enum": ["reset", "none"]}},
    "objects": [{"name": "CPU Limits", "description": "c", "required": ["quota:cpu_period"],
                 "properties": {"quota:cpu_period": {"title": "Period", "type": "integer",
                                                     "minimum": 1000}}}],
    "tags": [{"name": "t1"}],
}
LISTING = {"marker": None, "sort_key": "namespace", "sort_dir": "asc", "paginate": False,
           "reversed_order": False, "page_size": 20}


@pytest.fixture
def fake():
    cache.clear()
    fake, glance = fake_glance.connect()
    fake.glance = glance
    yield fake
    fake_glance.disconnect()


def test_export_leaves_out_what_glance_sets_at_every_level():
    assert metadefs.namespace_document(SHOWN) == DOCUMENT


def test_an_export_is_what_import_takes_and_imports_as_it_is():
    contract.operation("createNamespace").check_body(DOCUMENT)
    assert metadefs.namespace_document(DOCUMENT) == DOCUMENT
    # What Glance's GET shows is accepted too (Horizon's Import drops it likewise).
    contract.operation("createNamespace").check_body(
        {**SHOWN, "properties": DOCUMENT["properties"]})


def test_a_shipped_file_without_visibility_or_objects_stays_so():
    shipped = {"namespace": "OS::Compute::Hypervisor", "display_name": "Hypervisor",
               "description": "x", "protected": True, "objects": [],
               "resource_type_associations": [{"name": "OS::Glance::Image"}],
               "properties": {"hypervisor_type": {"title": "T", "type": "string",
                                                  "default": "kvm"}}}
    contract.operation("createNamespace").check_body(shipped)
    document = metadefs.namespace_document(shipped)
    assert "visibility" not in document and "objects" not in document
    assert document["properties"] == shipped["properties"]


@pytest.mark.parametrize("body, field", [
    ({"namespace": "a", "surprise": 1}, "surprise"),
    ({"namespace": "a/b"}, "namespace"),
    ({"namespace": "a", "visibility": "community"}, "visibility"),
    ({"namespace": "a", "properties": {"p": {"title": "t"}}}, "type"),
    ({"namespace": "a", "properties": {"p": {"title": "t", "type": "string",
                                             "confidential": True}}}, "confidential"),
    ({"namespace": "a", "tags": [{}]}, "name"),
    ({"namespace": "a", "objects": [{"name": "o", "required": "p"}]}, "required"),
    ({"namespace": "a", "resource_type_associations": [{"name": "r", "prefix": 1}]}, "prefix"),
])
def test_import_refuses_what_glance_would_not_take(body, field):
    with pytest.raises(ApiError) as raised:
        contract.operation("createNamespace").check_body(body)
    assert (raised.value.status, raised.value.field) == (400, field)


def test_an_update_sends_what_the_caller_left_as_glance_holds_it():
    current = {**SHOWN, "display_name": "Old"}
    body = metadefs.namespace_update_body(current, {"description": "new", "protected": False})
    assert body == {"namespace": "GR::Sample", "display_name": "Old", "description": "new",
                    "visibility": "public", "protected": False, "owner": "p1"}


def test_update_reads_then_puts_the_whole_namespace(fake):
    fake.answer("GET", "/v2/metadefs/namespaces/n1",
                body={"namespace": "n1", "visibility": "public", "protected": True,
                      "owner": "p1", "description": "keep", "properties": {"a": {}}})
    fake.answer("PUT", "/v2/metadefs/namespaces/n1", body={"namespace": "n1"})
    api.metadefs_namespace_update(fake.glance, "n1", {"display_name": "New"})
    assert fake.requests[-1] == ("PUT", "/v2/metadefs/namespaces/n1", {
        "namespace": "n1", "display_name": "New", "description": "keep",
        "visibility": "public", "protected": True, "owner": "p1"})


def test_each_write_is_one_request_to_its_glance_path(fake):
    ns = "/v2/metadefs/namespaces/OS%3A%3AX"
    for method, path in (("POST", "/v2/metadefs/namespaces"), ("POST", f"{ns}/resource_types"),
                         ("DELETE", f"{ns}/resource_types/OS%3A%3AGlance%3A%3AImage"),
                         ("POST", f"{ns}/properties"), ("PUT", f"{ns}/properties/p1"),
                         ("DELETE", f"{ns}/properties/p1"), ("POST", f"{ns}/objects"),
                         ("PUT", f"{ns}/objects/CPU%20Limits"),
                         ("DELETE", f"{ns}/objects/CPU%20Limits"), ("POST", f"{ns}/tags/t1"),
                         ("PUT", f"{ns}/tags/t1"), ("DELETE", f"{ns}/tags/t1"),
                         ("DELETE", ns)):
        fake.answer(method, path, status=204 if method == "DELETE" else 200,
                    body=None if method == "DELETE" else {"name": "x", "namespace": "OS::X"})
    glance = fake.glance
    api.metadefs_namespace_create(glance, {**DOCUMENT, "namespace": "OS::X", "owner": "p"})
    api.metadefs_association_add(glance, "OS::X", {"name": "OS::Glance::Image", "prefix": "x_"})
    api.metadefs_association_remove(glance, "OS::X", "OS::Glance::Image")
    api.metadefs_property_create(glance, "OS::X", {"name": "p1", "title": "P", "type": "string"})
    api.metadefs_property_update(glance, "OS::X", "p1", {"title": "P2", "type": "string"})
    api.metadefs_property_delete(glance, "OS::X", "p1")
    api.metadefs_object_create(glance, "OS::X", {"name": "CPU Limits"})
    api.metadefs_object_update(glance, "OS::X", "CPU Limits", {"description": "d"})
    api.metadefs_object_delete(glance, "OS::X", "CPU Limits")
    api.metadefs_tag_create(glance, "OS::X", "t1")
    api.metadefs_tag_update(glance, "OS::X", "t1", "t2")
    api.metadefs_tag_delete(glance, "OS::X", "t1")
    api.metadefs_namespace_delete(glance, "OS::X")
    bodies = [body for _, _, body in fake.requests]
    assert bodies[0] == {**DOCUMENT, "namespace": "OS::X"}  # owner left out
    assert bodies[1] == {"name": "OS::Glance::Image", "prefix": "x_"}
    # Glance's PUT takes the name in the body: the path's, unless another is sent.
    assert bodies[4] == {"name": "p1", "title": "P2", "type": "string"}
    assert bodies[7] == {"name": "CPU Limits", "description": "d"}
    assert bodies[9] is None and bodies[10] == {"name": "t2"}


def test_a_protected_namespace_delete_is_glances_403_with_its_reason(fake):
    # glance/domain/__init__.py, MetadefNamespace.delete: ProtectedMetadefNamespaceDelete,
    # answered by metadef_namespaces.py delete as HTTPForbidden(explanation=e.msg).
    reason = "Metadata definition namespace OS::X is protected and cannot be deleted."
    fake.answer("DELETE", "/v2/metadefs/namespaces/OS%3A%3AX",
                *fake_glance.glance_error(403, reason))
    with pytest.raises(GlanceError) as raised:
        api.metadefs_namespace_delete(fake.glance, "OS::X")
    error = from_client_error(raised.value)
    assert (error.status, error.code, error.message) == (403, "forbidden", reason)


def test_names_no_glance_could_hold_are_not_found_before_glance(fake):
    with pytest.raises(ApiError) as raised:
        api.metadefs_property_delete(fake.glance, "ns", "..")
    assert raised.value.status == 404 and "property" in raised.value.message
    assert fake.calls() == []


def test_generations_are_kept_made_once_and_renewed_by_a_write():
    cache.clear()
    first = metadefs.namespace_generations("http://g", ["a", "b"])
    assert first == metadefs.namespace_generations("http://g", ["a", "b"])
    assert first["a"] != first["b"]
    metadefs.renew_generation("http://g", "a")
    after = metadefs.namespace_generations("http://g", ["a", "b"])
    assert after["a"] != first["a"] and after["b"] == first["b"]
    # Per Glance endpoint.
    assert metadefs.namespace_generations("http://other", ["a"])["a"] != after["a"]


def test_a_lost_generation_is_never_one_a_body_was_cached_under():
    cache.clear()
    before = metadefs.namespace_generations("http://g", ["a"])["a"]
    cache.clear()  # evicted, expired, or the cache restarted
    assert metadefs.namespace_generations("http://g", ["a"])["a"] != before


def test_the_body_key_changes_with_the_generation_only_when_the_summary_does_not():
    summary = {"namespace": "a", "updated_at": "t"}
    key = metadefs.namespace_body_key("http://g", "c1", None, summary, "g1")
    assert key == metadefs.namespace_body_key("http://g", "c1", None, dict(summary), "g1")
    assert key != metadefs.namespace_body_key("http://g", "c1", None, summary, "g2")
    assert key != metadefs.namespace_body_key("http://g", "c1", "OS::Glance::Image", summary,
                                              "g1")
    # Another caller, as Glance's policy tells callers apart: another key.
    assert key != metadefs.namespace_body_key("http://g", "c2", None, summary, "g1")


def test_the_body_key_takes_glances_associations_in_any_order():
    """Glance lists them in no set order (seen in CI: a warm listing fetched a
    body again, once PostgreSQL's autovacuum had changed the query's plan)."""
    image = {"name": "OS::Glance::Image", "prefix": "hw_"}
    flavor = {"name": "OS::Nova::Flavor", "prefix": "hw:"}
    summary = {"namespace": "a", "resource_type_associations": [image, flavor]}
    key = metadefs.namespace_body_key("http://g", "c1", None, summary, "g1")
    assert key == metadefs.namespace_body_key(
        "http://g", "c1", None, dict(summary, resource_type_associations=[flavor, image]), "g1")
    # A changed association is still another key.
    assert key != metadefs.namespace_body_key(
        "http://g", "c1", None,
        dict(summary, resource_type_associations=[dict(image, prefix="x_"), flavor]), "g1")


def test_a_body_fetched_for_one_caller_is_not_served_to_another(fake):
    """Glance's policy may refuse the second caller the namespace's contents:
    its listing fetches the body with its own token, and gets Glance's answer."""
    summary = {"namespace": "n1", "updated_at": "2026-01-01T00:00:00Z"}
    for _ in range(2):
        fake.answer("GET", "/v2/metadefs/namespaces", body={"namespaces": [summary]})
    fake.answer("GET", "/v2/metadefs/namespaces/n1",
                body={**summary, "tags": [{"name": "secret"}]})
    fake.answer("GET", "/v2/metadefs/namespaces/n1",
                *fake_glance.glance_error(403, "You are not authorized to get_metadef_tags"))
    assert _list(fake.glance)[0]["tags"] == [{"name": "secret"}]
    other = api.Glance.at(fake.glance.endpoint, "another-callers-token")
    with pytest.raises(GlanceError) as raised:
        _list(other)
    assert raised.value.status == 403
    assert [call for call in fake.calls("GET") if call[1].startswith(
        "/v2/metadefs/namespaces/n1")] == [("GET", "/v2/metadefs/namespaces/n1")] * 2


class _Unreachable:
    """Django's cache with its server gone (Redis down): every call fails."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to redis://:s3cret@cache:6379")
        return fail


def test_a_write_glance_did_stands_when_the_cache_is_down(fake, monkeypatch, caplog):
    """The generation's renewal fails: logged (no cache address or secret),
    the write's own answer returned."""
    fake.answer("POST", "/v2/metadefs/namespaces/n1/properties", status=201,
                body={"name": "p1", "title": "P", "type": "string"})
    monkeypatch.setattr(metadefs, "cache", _Unreachable())
    with caplog.at_level(logging.WARNING, logger="glance_rest.glance.metadefs"):
        created = api.metadefs_property_create(fake.glance, "n1", {
            "name": "p1", "title": "P", "type": "string"})
    assert created == {"name": "p1", "title": "P", "type": "string"}
    [record] = [r for r in caplog.records if r.name == "glance_rest.glance.metadefs"]
    message = record.getMessage()
    assert "'n1'" in message and "not renewed" in message and "ConnectionError" in message
    assert "s3cret" not in message and "6379" not in message


def _list(glance):
    items, _, _ = api.metadefs_namespace_list(glance, {}, dict(LISTING))
    return items


def test_the_listing_never_serves_a_namespace_older_than_a_write_through_this_api(fake):
    # Glance's summary does not change when a property is added: only the
    # generation tells the cached body is older.
    summary = {"namespace": "n1", "updated_at": "2026-01-01T00:00:00Z"}
    fake.answer("GET", "/v2/metadefs/namespaces", body={"namespaces": [summary]})
    fake.answer("GET", "/v2/metadefs/namespaces/n1", body={**summary, "properties": {}})
    fake.answer("GET", "/v2/metadefs/namespaces/n1",
                body={**summary, "properties": {"p1": {"title": "P", "type": "string"}}})
    fake.answer("POST", "/v2/metadefs/namespaces/n1/properties", status=201,
                body={"name": "p1", "title": "P", "type": "string"})
    assert _list(fake.glance)[0]["properties"] == {}
    assert _list(fake.glance)[0]["properties"] == {}
    full_reads = [c for c in fake.calls("GET") if c[1].startswith("/v2/metadefs/namespaces/n1")]
    assert len(full_reads) == 1  # the second listing used the cached body
    api.metadefs_property_create(fake.glance, "n1", {"name": "p1", "title": "P",
                                                     "type": "string"})
    assert set(_list(fake.glance)[0]["properties"]) == {"p1"}


def test_a_refused_write_renews_the_generation_too(fake):
    # A write that failed or timed out may still have changed Glance.
    before = metadefs.namespace_generations(fake.glance.endpoint, ["n1"])["n1"]
    fake.answer("DELETE", "/v2/metadefs/namespaces/n1/tags/t1", *fake_glance.glance_error(404))
    with pytest.raises(GlanceError):
        api.metadefs_tag_delete(fake.glance, "n1", "t1")
    assert metadefs.namespace_generations(fake.glance.endpoint, ["n1"])["n1"] != before


def test_without_caching_the_listing_reads_no_generation(fake, settings):
    settings.METADEFS_CACHE_SECONDS = 0
    summary = {"namespace": "n1"}
    fake.answer("GET", "/v2/metadefs/namespaces", body={"namespaces": [summary]})
    fake.answer("GET", "/v2/metadefs/namespaces/n1", body=summary)
    _list(fake.glance)
    _list(fake.glance)
    assert len(fake.calls("GET")) == 4
    assert cache.get(metadefs._generation_key(fake.glance.endpoint, "n1")) is None
