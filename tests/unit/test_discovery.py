"""discovery.target_stores on Glance's /v2/info/stores answers (the stack has
no read-only store: this is the shape Glance's api-ref documents for one)."""

from glance_rest.discovery import target_stores


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
