"""params.py: query strings, listings and image bodies, checked before Glance
(pure logic)."""

import pytest
from django.http import QueryDict

from glance_rest import glance, params
from glance_rest.errors import BadInput

SCHEMA_PROPERTIES = {
    "name": {}, "disk_format": {"enum": [None, "raw", "qcow2", "vmdk", "vhd", "ami", "aki",
                                         "ari", "iso"]},
    "container_format": {"enum": [None, "bare", "ovf", "ova", "docker", "ami", "aki", "ari"]},
    "min_disk": {}, "min_ram": {}, "protected": {}, "visibility": {}, "tags": {},
    "os_hidden": {}, "id": {}, "status": {"readOnly": True}, "size": {"readOnly": True},
    "os_hash_value": {"readOnly": True}, "os_hash_algo": {"readOnly": True},
}
SCHEMA = glance.ImageSchema({"properties": SCHEMA_PROPERTIES})


def test_query_constants_and_repeated_filters():
    query = QueryDict("paginate=true&is_public=False&tag=a&tag=b&name=x&marker=None")
    filters, kwargs = params.split_query(query, {"paginate", "marker"})
    assert kwargs == {"paginate": True, "marker": None}
    assert filters == {"is_public": False, "tag": ["a", "b"], "name": "x"}


def test_horizon_filter_names_normalised():
    filters, options = params.image_listing(QueryDict("is_public=true&property-owner_id=p1"))
    assert filters == {"visibility": "public", "owner": "p1"}
    assert options == {"marker": None, "sort_key": "created_at", "sort_dir": "desc",
                       "paginate": False, "reversed_order": False}
    filters, _ = params.image_listing(QueryDict("is_public=None&protected=false"))
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
    attrs = params.image_attributes(body, SCHEMA, creating=True)
    assert (attrs["disk_format"], attrs["container_format"]) == expected


def test_fields_and_custom_properties():
    attrs = params.image_attributes({
        "name": "n", "description": "d", "kernel": "k1", "ramdisk": "", "architecture": "x86_64",
        "min_disk": "10", "min_ram": 512, "visibility": "community", "protected": "true",
        "tags": ["a"], "is_public": True, "hw_qemu_guest_agent": "yes", "cores": 4,
        "source_type": "url", "image_url": "http://x", "import_data": False,
    }, SCHEMA, creating=True)
    assert attrs == {
        "name": "n", "description": "d", "kernel_id": "k1", "architecture": "x86_64",
        "min_disk": 10, "min_ram": 512, "visibility": "community", "protected": True,
        "tags": ["a"], "hw_qemu_guest_agent": "yes", "cores": "4",
    }


def test_horizons_echoed_fields_are_dropped():
    body = {"name": "n", "status": "active", "size": 3, "checksum": "c", "id": "i",
            "owner": "o", "is_copying": False, "is_public": True, "created_at": "t",
            "os_hash_value": "h", "os_hash_algo": "sha512", "locations": []}
    assert params.image_attributes(body, SCHEMA, creating=False) == {"name": "n"}


def test_update_leaves_absent_fields_alone():
    assert params.image_attributes({"name": "only"}, SCHEMA, creating=False) == {"name": "only"}


@pytest.mark.parametrize("body, field", [
    ({"min_disk": "abc"}, "min_disk"), ({"min_ram": -1}, "min_ram"),
    ({"protected": "maybe"}, "protected"), ({"visibility": "everyone"}, "visibility"),
    ({"tags": "a,b"}, "tags"), ({"disk_format": "floppy"}, "disk_format"),
    ({"properties": {"os_hash_value": "x"}}, "os_hash_value"), ({"nested": {"a": 1}}, "nested"),
    ({"properties": ["x"]}, "properties"), ({"name": 5}, "name"),
])
def test_bad_fields_are_named(body, field):
    with pytest.raises(BadInput) as raised:
        params.image_attributes(body, SCHEMA, creating=True)
    assert raised.value.field == field and raised.value.status == 400


def test_property_changes():
    changes, removed = params.property_changes(
        {"updated": {"os_hidden": "true", "a": "1"}, "removed": ["b"]}, SCHEMA)
    assert changes == {"os_hidden": True, "a": "1"} and removed == ["b"]
    for body in ({}, {"updated": {"os_hash_value": "x"}}, {"updated": {"size": 1}},
                 {"updated": {}, "removed": "b"}):
        with pytest.raises(BadInput):
            params.property_changes(body, SCHEMA)


DESCRIBED = glance.ImageSchema({"properties": {
    **SCHEMA_PROPERTIES,
    "os_distro": {"type": "string", "is_base": False},
    "kernel_id": {"type": ["null", "string"], "is_base": False,
                  "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
}})


def test_properties_the_schema_describes_stay_custom_and_are_checked():
    assert "os_distro" not in DESCRIBED.base and "os_distro" in DESCRIBED.described
    attrs = params.image_attributes({"os_distro": "cirros", "kernel": ""}, DESCRIBED,
                                    creating=True)
    assert attrs == {"os_distro": "cirros"}
    with pytest.raises(BadInput) as raised:
        params.image_attributes({"kernel": "nope"}, DESCRIBED, creating=True)
    assert raised.value.field == "kernel_id" and "does not match" in raised.value.message
    changes, _ = params.property_changes({"updated": {"os_distro": "debian"}}, DESCRIBED)
    assert changes == {"os_distro": "debian"}


def test_update_ignores_a_properties_object():
    body = {"name": "n", "properties": {"stale": "value", "os_distro": "old"}}
    assert params.image_attributes(body, DESCRIBED, creating=False) == {"name": "n"}
    assert params.image_attributes(body, DESCRIBED, creating=True)["stale"] == "value"
