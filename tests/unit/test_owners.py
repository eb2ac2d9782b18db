"""owners.py: which images are orphans, and the names an admin list shows
(pure logic; Keystone's side is in tests/api/test_api_admin_images.py)."""

import pytest

from glance_rest import owners
from glance_rest.errors import ApiError

NAMES = {"p1": "one", "p2": "two"}


def test_an_orphan_is_an_image_whose_owner_keystone_lacks():
    projects = owners.Projects(NAMES, truncated=False, fresh=True)
    keep = owners.orphan_test(projects)
    assert [keep({"owner": o}) for o in ("p1", "gone", None, "")] == [False, True, False, False]


def test_a_truncated_project_list_cannot_tell_orphans():
    with pytest.raises(ApiError) as raised:
        owners.orphan_test(owners.Projects(NAMES, truncated=True, fresh=True))
    assert (raised.value.status, raised.value.code) == (502, "keystone_truncated")


def test_fresh_names_are_not_read_again():
    images = [{"owner": "p1"}, {"owner": "gone"}, {"owner": None}]
    owners.name_owners(None, images, owners.Projects(NAMES, truncated=False, fresh=True))
    assert [i["project_name"] for i in images] == ["one", None, None]


def test_projects_are_offered_by_name():
    projects = owners.Projects({"b": "zed", "a": "alpha", "c": "alpha"}, False, False)
    assert projects.items() == [{"id": "a", "name": "alpha"}, {"id": "c", "name": "alpha"},
                                {"id": "b", "name": "zed"}]
