"""owners.py: the names an admin list offers (pure logic; what Keystone says
of each owner, and how often it is asked, is in tests/api/test_api_admin_images.py)."""

from glance_rest import owners


def test_projects_are_offered_by_name():
    projects = owners.Projects({"b": "zed", "a": "alpha", "c": "alpha"})
    assert projects.items() == [{"id": "a", "name": "alpha"}, {"id": "c", "name": "alpha"},
                                {"id": "b", "name": "zed"}]
