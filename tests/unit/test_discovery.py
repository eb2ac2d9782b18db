"""discovery.target_stores on Glance's /v2/info/stores answers (the stack has
no read-only store: this is the shape Glance's api-ref documents for one)."""

import pytest

from glance_rest import discovery
from glance_rest.discovery import target_stores
from tests.unit import fake_glance


def test_read_only_stores_are_never_targets_and_flags_become_booleans():
    body = {"stores": [
        {"id": "reliable", "description": "Reliable filesystem backend"},
        {"id": "fast", "description": "Fast access to rbd store", "default": "true"},
        {"id": "cheap", "description": "Less expensive rbd store"},
        {"id": "web", "description": "Read-only HTTP store", "read-only": "true"},
    ]}
    assert target_stores(body) == [
        {"id": "reliable", "description": "Reliable filesystem backend", "default": False},
        {"id": "fast", "description": "Fast access to rbd store", "default": True},
        {"id": "cheap", "description": "Less expensive rbd store", "default": False},
    ]


def test_no_stores_listed():
    assert target_stores({}) == [] and target_stores({"stores": []}) == []


# Glance's answer to GET /v2/info/usage on a cloud that enforces Keystone
# limits for the image service: its api-ref's sample, verbatim
# (openstack/glance, api-ref/source/v2/samples/usage-response.json). Sizes in
# MiB, counts in images, as glance/quota/keystone.py get_usage computes them.
GLANCE_USAGE = {
    "usage": {
        "image_size_total": {"limit": 1024, "usage": 256},
        "image_count_total": {"limit": 10, "usage": 2},
        "image_stage_total": {"limit": 512, "usage": 0},
        "image_count_uploading": {"limit": 2, "usage": 0},
    }
}


@pytest.fixture
def fake():
    fake, glance = fake_glance.connect()
    fake.glance = glance
    yield fake
    fake_glance.disconnect()


def test_usage_is_glances_answer_with_limits(fake):
    """The stack enforces no limits (tests/api/test_api_stores.py says why),
    so the numbers are tested here, on Glance's own answer."""
    fake.answer("GET", "/v2/info/usage", body=GLANCE_USAGE)
    assert discovery.usage(fake.glance) == {
        "image_size_total": {"limit": 1024, "usage": 256},
        "image_count_total": {"limit": 10, "usage": 2},
        "image_stage_total": {"limit": 512, "usage": 0},
        "image_count_uploading": {"limit": 2, "usage": 0},
    }
    assert fake.calls() == [("GET", "/v2/info/usage")]


def test_usage_without_limits_is_empty(fake):
    """Without use_keystone_limits Glance's get_usage returns {} and its
    InfoController answers {"usage": {}} (glance/quota/keystone.py,
    glance/api/v2/discovery.py)."""
    fake.answer("GET", "/v2/info/usage", body={"usage": {}})
    assert discovery.usage(fake.glance) == {}
