"""params.py and contract.py: query strings, listings and image bodies,
checked against openapi.json and read as Glance takes them (pure logic)."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from glance_rest import contract, glance, params
from glance_rest.errors import ApiError, BadInput

SCHEMA_PROPERTIES = {
    "name": {}, "disk_format": {"enum": [None, "raw", "qcow2", "vmdk", "vhd", "ami", "aki",
                                         "ari", "iso"]},
    "container_format": {"enum": [None, "bare", "ovf", "ova", "docker", "ami", "aki", "ari"]},
    "min_disk": {}, "min_ram": {}, "protected": {}, "visibility": {}, "tags": {},
    "os_hidden": {}, "id": {}, "status": {"readOnly": True}, "size": {"readOnly": True},
    "os_hash_value": {"readOnly": True}, "os_hash_algo": {"readOnly": True},
}
SCHEMA = glance.ImageSchema({"properties": SCHEMA_PROPERTIES})


def attributes(body, schema=SCHEMA, creating=True):
    """What the API makes of a create (or update) body: checked as declared,
    then read against Glance's schema."""
    contract.operation("createImage" if creating else "updateImage").check_body(body)
    return params.image_attributes(body, schema, creating=creating)


def listing(query):
    contract.operation("listImages").check_query(QueryDict(query))
    return params.image_listing(QueryDict(query))


def test_query_constants_and_repeated_filters():
    query = QueryDict("paginate=true&is_public=False&tag=a&tag=b&name=x&marker=None")
    filters, kwargs = params.split_query(query, {"paginate", "marker"})
    assert kwargs == {"paginate": True, "marker": None}
    assert filters == {"is_public": False, "tag": ["a", "b"], "name": "x"}


def test_horizon_filter_names_normalised():
    filters, options = listing("is_public=true&property-owner_id=p1")
    assert filters == {"visibility": "public", "owner": "p1"}
    assert options == {"marker": None, "sort_key": "created_at", "sort_dir": "desc",
                       "paginate": False, "reversed_order": False}
    filters, _ = listing("is_public=None&protected=false")
    assert filters == {"protected": "false"}


@pytest.mark.parametrize("disk, container, expected", [
    ("ami", None, ("ami", "ami")), ("aki", "bare", ("aki", "aki")), ("ari", None, ("ari", "ari")),
    ("docker", None, ("raw", "docker")), ("vhd", None, ("vhd", "ovf")),
    ("ova", None, ("vmdk", "ova")), ("qcow2", None, ("qcow2", "bare")),
    ("raw", "ovf", ("raw", "ovf")),
])
def test_format_rules(disk, container, expected):
    body = {"disk_format": disk}
    if container:
        body["container_format"] = container
    attrs = attributes(body)
    assert (attrs["disk_format"], attrs["container_format"]) == expected


def test_fields_and_custom_properties():
    kernel = "0b4f9f4e-4a3c-4b8e-9a55-2f5d1c3e7a10"
    attrs = attributes({
        "name": "n", "description": "d", "kernel": kernel, "ramdisk": "",
        "architecture": "x86_64", "min_disk": 10, "min_ram": 512, "visibility": "community",
        "protected": True, "tags": ["a"], "is_public": True, "hw_qemu_guest_agent": "yes",
        "cores": 4, "source_type": "url", "image_url": "http://x", "import_data": False,
    })
    assert attrs == {
        "name": "n", "description": "d", "kernel_id": kernel, "architecture": "x86_64",
        "min_disk": 10, "min_ram": 512, "visibility": "community", "protected": True,
        "tags": ["a"], "hw_qemu_guest_agent": "yes", "cores": "4",
    }


def test_horizons_echoed_fields_are_dropped():
    body = {"name": "n", "status": "active", "size": 3, "checksum": "c", "id": "i",
            "owner": "o", "is_copying": False, "is_public": True, "created_at": "t",
            "os_hash_value": "h", "os_hash_algo": "sha512", "locations": []}
    assert attributes(body, creating=False) == {"name": "n"}


def test_update_leaves_absent_fields_alone():
    assert attributes({"name": "only", "description": None}, creating=False) == {"name": "only"}


def test_form_fields_are_read_as_their_declared_types():
    fields = contract.operation("createImage").check_text_fields(
        {"min_disk": "10", "protected": "true", "name": "5", "cores": "4"})
    assert fields == {"min_disk": 10, "protected": True, "name": "5", "cores": "4"}
    with pytest.raises(BadInput) as raised:
        contract.operation("createImage").check_text_fields({"min_ram": "lots"})
    assert raised.value.field == "min_ram"


@pytest.mark.parametrize("body, field", [
    ({"min_disk": "abc"}, "min_disk"), ({"min_ram": -1}, "min_ram"),
    ({"protected": "maybe"}, "protected"), ({"visibility": "everyone"}, "visibility"),
    ({"tags": "a,b"}, "tags"), ({"disk_format": "floppy"}, "disk_format"),
    ({"properties": {"os_hash_value": "x"}}, "os_hash_value"), ({"nested": {"a": 1}}, "nested"),
    ({"properties": ["x"]}, "properties"), ({"name": 5}, "name"),
    ({"min_disk": "10"}, "min_disk"), ({"protected": "true"}, "protected"),
    # Found by schemathesis: booleans where the document says string.
    ({"architecture": False}, "architecture"), ({"description": False}, "description"),
    ({"source_type": "floppy"}, "source_type"), ({"kernel": "nope"}, "kernel"),
    ({"": "x"}, "property"), ({"a\x01b": "x"}, "a\x01b"),
])
def test_bad_fields_are_named(body, field):
    with pytest.raises(BadInput) as raised:
        attributes(body)
    assert raised.value.field == field and raised.value.status == 400
    assert raised.value.message.startswith(field + ": ")


@pytest.mark.parametrize("operation, body, field, message", [
    ("addImageMember", {"member": "p", "extra": 1}, "extra", "is not a field here"),
    ("addImageMember", {}, "member", "is required"),
    ("updateImageMember", {"status": "maybe"}, "status", "'maybe' is not one of"),
    ("updateImage", {"name": False}, "name", "must be a string or null, not boolean"),
    ("createImage", {"source_type": "url", "image_url": "ftp://x/"}, "image_url", "http://"),
    ("updateImage", {"min_ram": -1}, "min_ram", "must be at least 0"),
    ("updateImage", {"tags": ["x" * 256]}, "tags", "must be at most 255 characters"),
    ("updateImageProperties", {"updated": {"k": [1]}}, "k", "must be a string"),
    ("importImage", {"method": "web-download", "uri": "ftp://x"}, "uri", "http://"),
    ("importImage", {"method": "copy-image", "stores": []}, "stores", "non-empty list"),
    # An item of a list: which one, counted from 1; a list's bounds.
    ("updateImage", {"tags": ["a", 5]}, "tags", "tags: item 2 must be a string, not integer"),
    ("importNamespaces", {"namespaces": [{"namespace": "a"}, 1]}, "namespaces",
     "namespaces: item 2 must be an object, not integer"),
    ("importNamespaces", {"namespaces": [{"namespace": "a"}, {}]}, "namespace",
     "namespace: is required (item 2 of namespaces)"),
    ("importNamespaces", {"namespaces": [{"namespace": "a"}] * 101}, "namespaces",
     "namespaces: must have 1 to 100 items"),
    # The rules between fields, declared with if/then (schemathesis found them missing).
    ("importImage", {"method": "web-download"}, "uri", "is required"),
    ("importImage", {"method": "copy-image", "uri": "https://x/"}, "uri",
     "only taken by web-download"),
    ("importImage", {"method": "copy-image", "stores": ["a"], "all_stores": True}, "all_stores",
     "not both"),
    ("login", {"username": "", "password": "p"}, "username", "must not be empty"),
    ("switchProject", {"project": "p", "as": "admin"}, "as", "is not a field here"),
])
def test_declared_body_checks_name_the_field(operation, body, field, message):
    with pytest.raises(BadInput) as raised:
        contract.operation(operation).check_body(body)
    assert raised.value.field == field and message in raised.value.message


@pytest.mark.parametrize("operation, query, field", [
    ("listImages", "sort_key=owner", "sort_key"), ("listImages", "sort_dir=up", "sort_dir"),
    ("listImages", "size_min=big", "size_min"), ("listImages", "min_disk=-1", "min_disk"),
    # Glance answers 500 to a filter past its 32-bit column (schemathesis found it).
    ("listImages", "min_ram=2147483648", "min_ram"),
    ("listImages", "size_min=" + "9" * 31, "size_min"),
    ("listImages", "visibility=", "visibility"), ("listImages", "name=a%00b", "name"),
    ("listImages", "paginate=maybe", "paginate"), ("listNamespaces", "sort_key=id", "sort_key"),
    ("getNamespace", "resource=x", "resource"), ("uploadImageData", "store=", "store"),
    ("getImage", "expand=1", "expand"),
    ("listImages", "sort_dir=asc&sort_dir=up", "sort_dir"),
])
def test_declared_query_checks_name_the_parameter(operation, query, field):
    with pytest.raises(BadInput) as raised:
        contract.operation(operation).check_query(QueryDict(query))
    assert raised.value.field == field


def test_glance_filters_pass_where_declared():
    contract.operation("listImages").check_query(QueryDict("os_distro=x&tag=a&tag=b"))
    contract.operation("listNamespaces").check_query(QueryDict("visibility=public"))


@pytest.mark.parametrize("operation, values, field", [
    ("addImageTag", {"image_id": "i", "tag": "a\nb"}, "tag"),
    ("removeImageMember", {"image_id": "i", "member_id": "x" * 256}, "member_id"),
    ("deleteImageFromStore", {"image_id": "i", "store_id": ""}, "store_id"),
    ("getNamespace", {"namespace": "n" * 81}, "namespace"),
])
def test_declared_path_checks(operation, values, field):
    with pytest.raises(BadInput) as raised:
        contract.operation(operation).check_path(values)
    assert raised.value.field == field


def test_property_changes():
    changes, removed = params.property_changes(
        {"updated": {"os_hidden": "true", "a": "1"}, "removed": ["b"]}, SCHEMA)
    assert changes == {"os_hidden": True, "a": "1"} and removed == ["b"]


# Each refusal where it happens: the document's shape first, then Glance's
# schema (what the document cannot say: which names are base attributes).
@pytest.mark.parametrize("body, field", [
    ({}, "updated"), ({"updated": {}, "removed": "b"}, "removed"),
])
def test_property_changes_refused_by_the_document(body, field):
    with pytest.raises(BadInput) as raised:
        contract.operation("updateImageProperties").check_body(body)
    assert raised.value.field == field


@pytest.mark.parametrize("body, field, message", [
    ({"updated": {"os_hash_value": "x"}}, "os_hash_value", "cannot be set here"),
    ({"updated": {"size": 1}}, "size", "cannot be set here"),
    ({"updated": {}, "removed": ["name"]}, "name", "cannot be removed"),
])
def test_property_changes_refused_by_glances_schema(body, field, message):
    contract.operation("updateImageProperties").check_body(body)  # the document allows it
    with pytest.raises(BadInput) as raised:
        params.property_changes(body, SCHEMA)
    assert raised.value.field == field and message in raised.value.message


DESCRIBED = glance.ImageSchema({"properties": {
    **SCHEMA_PROPERTIES,
    "os_distro": {"type": "string", "is_base": False},
    "kernel_id": {"type": ["null", "string"], "is_base": False,
                  "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
}})


def test_properties_the_schema_describes_stay_custom_and_are_checked():
    assert "os_distro" not in DESCRIBED.base and "os_distro" in DESCRIBED.described
    attrs = attributes({"os_distro": "cirros", "kernel": ""}, DESCRIBED)
    assert attrs == {"os_distro": "cirros"}
    with pytest.raises(BadInput) as raised:
        attributes({"properties": {"kernel_id": "nope"}}, DESCRIBED)
    assert raised.value.field == "kernel_id" and "does not match" in raised.value.message
    changes, _ = params.property_changes({"updated": {"os_distro": "debian"}}, DESCRIBED)
    assert changes == {"os_distro": "debian"}


def test_update_ignores_a_properties_object():
    body = {"name": "n", "properties": {"stale": "value", "os_distro": "old"}}
    assert attributes(body, DESCRIBED, creating=False) == {"name": "n"}
    assert attributes(body, DESCRIBED)["stale"] == "value"


@pytest.mark.parametrize("name, sent", [
    ("ubuntu:22.04", "eq:ubuntu:22.04"),
    (":x", "eq::x"),
    ("plain", "plain"),
    ("in:a,b", "in:a,b"),
    ("eq:a:b", "eq:a:b"),
])
def test_a_name_filter_is_the_exact_name_unless_it_starts_with_an_operator(name, sent):
    filters, _ = params.image_listing(QueryDict(urlencode({"name": name})))
    assert filters["name"] == sent


@pytest.mark.parametrize("segment", [".", ".."])
def test_a_dot_segment_id_is_not_found_before_glance(segment):
    """Sent, the HTTP client would drop it and reach another Glance route."""
    with pytest.raises(ApiError) as refused:
        glance.client.quote(segment)
    assert refused.value.status == 404


def admin_listing(query):
    contract.operation("listAllProjectsImages").check_query(QueryDict(query))
    return params.admin_image_listing(QueryDict(query))


def test_admin_listing_reads_project_orphaned_and_horizons_admin_filters():
    filters, options, orphaned = admin_listing(
        "project=p1&orphaned=true&status=active&disk_format=qcow2&size_min=10&name=a:b")
    assert filters == {"owner": "p1", "status": "active", "disk_format": "qcow2",
                       "size_min": "10", "name": "eq:a:b"}
    assert orphaned is True
    # Horizon's admin table order by default.
    assert (options["sort_key"], options["sort_dir"]) == ("name", "asc")
    assert admin_listing("")[2] is False


@pytest.mark.parametrize("query", ["orphaned=maybe", "project=a%00b", "sort_key=project_name"])
def test_admin_listing_refuses(query):
    with pytest.raises(BadInput):
        admin_listing(query)
