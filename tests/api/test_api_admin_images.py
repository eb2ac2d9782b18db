"""Every project's images, for an administrator: owner project names from
Keystone, the project and Horizon's admin filters, the orphaned filter (an
image whose project is deleted during the test, and only that one), and a
member refused with nothing leaked. Glance and Keystone are read directly to
say what the answer should be."""

import io

import pytest

from tests.helpers import unique

pytestmark = pytest.mark.stack

ADMIN_IMAGES = "/api/glance/admin/images/"
ADMIN_PROJECTS = "/api/glance/admin/projects/"


class Projects:
    """Projects made (and deleted) through Keystone's API as admin."""

    def __init__(self, stack):
        self.stack = stack
        self.made = []

    def create(self, prefix):
        project = self.stack.create_project(unique(prefix))
        self.made.append(project["id"])
        return project

    def delete(self, project_id):
        self.stack.delete_project(project_id)
        self.made.remove(project_id)


@pytest.fixture
def projects(stack):
    made = Projects(stack)
    yield made
    for project_id in list(made.made):
        made.delete(project_id)


@pytest.fixture
def owned_images(stack):
    """make(owner, name, size): an image the admin creates for project
    ``owner`` (Glance lets an admin set the owner); all deleted afterwards."""
    glance = stack.glance("admin")
    ids = []

    def make(owner, name, size=0, disk_format="raw"):
        image = glance.images.create(name=name, disk_format=disk_format,
                                     container_format="bare", owner=owner)
        ids.append(image.id)
        if size:
            glance.images.upload(image.id, io.BytesIO(b"x" * size))
        return image.id
    yield make
    for image_id in ids:
        glance.images.delete(image_id)


def listed(client, **query):
    answer = client.get(ADMIN_IMAGES, query)
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_every_project_with_names_and_filters(api, stack, projects, owned_images):
    one, two = projects.create("adm-one"), projects.create("adm-two")
    tag = unique("adm")
    small = owned_images(one["id"], f"{tag}-b", size=10)
    large = owned_images(one["id"], f"{tag}-a", size=3000)
    other = owned_images(two["id"], f"{tag}-c", disk_format="qcow2")  # no data: queued
    admin = api("admin")

    # Every project's images, by name as Horizon's admin table orders them,
    # each with its project's name.
    body = listed(admin, name=f"in:{tag}-a,{tag}-b,{tag}-c")
    assert [(i["id"], i["project_name"]) for i in body["items"]] == [
        (large, one["name"]), (small, one["name"]), (other, two["name"])]
    # What Glance itself shows the admin, owner for owner.
    direct = {i.id: i.owner for i in stack.glance("admin").images.list(
        filters={"name": f"in:{tag}-a,{tag}-b,{tag}-c"})}
    assert {i["id"]: i["owner"] for i in body["items"]} == direct

    # The project filter, and Horizon's admin filters with sizes in bytes.
    assert [i["id"] for i in listed(admin, project=two["id"])["items"]] == [other]
    assert [i["id"] for i in listed(admin, project=one["id"], size_min=100)["items"]] == [large]
    assert [i["id"] for i in listed(admin, project=one["id"], size_max=100)["items"]] == [small]
    assert [i["id"] for i in listed(admin, name=f"in:{tag}-a,{tag}-b,{tag}-c",
                                    disk_format="qcow2")["items"]] == [other]
    assert [i["id"] for i in listed(admin, project=two["id"], status="queued")["items"]] == [other]
    assert listed(admin, project=two["id"], status="active")["items"] == []

    # Paged as every list is.
    page = listed(admin, project=one["id"], paginate="true", sort_key="size", sort_dir="desc")
    assert [i["id"] for i in page["items"]] == [large, small]
    assert (page["has_more_data"], page["has_prev_data"]) == (False, False)

    # The projects the filter offers: Keystone's, by name.
    offered = admin.get(ADMIN_PROJECTS).json()["items"]
    assert {"id": one["id"], "name": one["name"]} in offered
    assert [p["name"] for p in offered] == sorted(p["name"] for p in offered)


def test_orphaned_images_of_a_project_deleted_meanwhile(api, projects, owned_images):
    doomed, kept = projects.create("adm-doomed"), projects.create("adm-kept")
    tag = unique("orphan")
    orphan = owned_images(doomed["id"], f"{tag}-1")
    owned_images(kept["id"], f"{tag}-2")
    admin = api("admin")
    # Read (and cached) while the project exists: not an orphan yet.
    assert [i["id"] for i in listed(admin, orphaned="true")["items"]] == []
    assert listed(admin, project=doomed["id"])["items"][0]["project_name"] == doomed["name"]

    projects.delete(doomed["id"])

    # The orphaned filter asks Keystone afresh: the one image of the deleted
    # project, and no other image of the cloud.
    orphans = listed(admin, orphaned="true")["items"]
    assert [(i["id"], i["owner"], i["project_name"]) for i in orphans] == [
        (orphan, doomed["id"], None)]
    # Paged like any list.
    page = listed(admin, orphaned="true", paginate="true")
    assert [i["id"] for i in page["items"]] == [orphan]
    # And the plain list now names no project for it.
    assert listed(admin, project=doomed["id"])["items"][0]["project_name"] is None


def test_a_project_newer_than_the_cached_names_is_named(api, projects, owned_images):
    admin = api("admin")
    listed(admin)  # the names are read and cached now
    late = projects.create("adm-late")
    image = owned_images(late["id"], unique("late"))
    items = listed(admin, project=late["id"])["items"]
    assert [(i["id"], i["project_name"]) for i in items] == [(image, late["name"])]


@pytest.mark.parametrize("path, query", [
    (ADMIN_IMAGES, {}), (ADMIN_IMAGES, {"orphaned": "true"}),
    (ADMIN_IMAGES, {"project": "anything"}), (ADMIN_PROJECTS, {}),
])
def test_a_member_is_refused_and_nothing_leaks(api, stack, path, query):
    answer = api("demo").get(path, query)
    assert answer.status_code == 403, answer.content
    error = answer.json()["error"]
    assert (error["status"], error["code"]) == (403, "forbidden")
    assert "list_projects" in error["message"]  # Keystone's own refusal
    assert set(answer.json()) == {"error"}
    # Not a project's name, nor any image id of another project.
    text = answer.content.decode()
    for name in ("alt_demo", "service"):
        assert name not in text
    for image in stack.glance("admin").images.list(filters={"visibility": "all"}):
        assert image.id not in text


def test_without_a_login_it_is_401(client, api_settings, db):
    for path in (ADMIN_IMAGES, ADMIN_PROJECTS):
        answer = client.get(path)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "not_authenticated")
