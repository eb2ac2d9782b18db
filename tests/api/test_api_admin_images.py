"""Every project's images, for an administrator: owner project names from
Keystone, the project and Horizon's admin filters, the orphaned filter, and a
member refused with nothing leaked. Glance and Keystone are read directly to
say what the answer should be.

Orphans are what Keystone says is gone (GET /v3/projects/{id}: 404), asked
with the caller's token: a caller whom a site policy lets see one domain
only gets "unknown" for the others' projects, live or deleted, never an
orphan. Keystone's calls are counted as they leave the app's own Keystone
session for the real Keystone; Glance's the same way. Each orphan test looks
at its own images only (a name filter): other tests' leftovers do not count.
"""

import io
import json
import urllib.parse

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from glance_rest import backend
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


def names_filter(*names):
    return "in:" + ",".join(names)


def keystone_says(stack, project_id):
    """The status of GET /v3/projects/{id} as the stack's admin."""
    return stack.session("admin").get(f"{stack.keystone_url}/projects/{project_id}",
                                      raise_exc=False).status_code


def test_orphaned_images_of_a_project_deleted_meanwhile(api, stack, projects, owned_images):
    doomed, kept = projects.create("adm-doomed"), projects.create("adm-kept")
    tag = unique("orphan")
    orphan = owned_images(doomed["id"], f"{tag}-1")
    live = owned_images(kept["id"], f"{tag}-2")
    mine = names_filter(f"{tag}-1", f"{tag}-2")
    admin = api("admin")
    # Read (and cached) while the project exists: not an orphan yet.
    assert listed(admin, orphaned="true", name=mine)["items"] == []
    assert [(i["id"], i["project_name"], i["owner_status"])
            for i in listed(admin, name=mine)["items"]] == [
        (orphan, doomed["name"], "live"), (live, kept["name"], "live")]

    projects.delete(doomed["id"])
    assert keystone_says(stack, doomed["id"]) == 404
    assert stack.glance("admin").images.get(orphan).owner == doomed["id"]

    # The orphaned filter asks Keystone afresh: the one image of the deleted
    # project, and not the other.
    orphans = listed(admin, orphaned="true", name=mine)["items"]
    assert [(i["id"], i["owner"], i["project_name"], i["owner_status"]) for i in orphans] == [
        (orphan, doomed["id"], None, "gone")]
    # Paged like any list.
    page = listed(admin, orphaned="true", paginate="true", name=mine)
    assert [i["id"] for i in page["items"]] == [orphan]
    assert (page["has_more_data"], page["has_prev_data"], page["scan_marker"]) == (
        False, False, None)
    # And the plain list now names no project for it.
    item = listed(admin, project=doomed["id"])["items"][0]
    assert (item["project_name"], item["owner_status"]) == (None, "gone")


@pytest.fixture
def sent():
    """What the app sends to the real Keystone and Glance: (service, method,
    path?query) of each call, recorded as it leaves the app's own sessions
    (the pools keystoneauth and glanceclient send through)."""
    calls = []
    patched = []
    for service, http in (("keystone", backend.keystone_http), ("glance", backend.glance_http)):
        adapter = http.get_adapter("http://")
        real = adapter.send

        def send(request, *args, _service=service, _real=real, **kwargs):
            url = urllib.parse.urlsplit(request.url)
            path = url.path + ("?" + url.query if url.query else "")
            calls.append((_service, request.method, path))
            return _real(request, *args, **kwargs)
        adapter.send = send
        patched.append(adapter)
    yield calls
    for adapter in patched:
        del adapter.send


def keystone_project_calls(calls):
    """Keystone calls about projects: the list ("list") and each project's id."""
    said = []
    for service, method, path in calls:
        if service == "keystone" and path.split("?")[0].rstrip("/").endswith("/projects"):
            said.append("list")
        elif service == "keystone" and "/projects/" in path:
            said.append(path.split("/projects/")[1])
    return said


def glance_listings(calls):
    return [path for service, _, path in calls
            if service == "glance" and path.startswith("/v2/images?")]


def test_keystone_is_asked_once_per_owner_however_many_orphans(
        api, stack, projects, owned_images, sent, settings):
    settings.API_RESULT_PAGE_SIZE = 20
    doomed = [projects.create(f"adm-many-{n}") for n in range(3)]
    tag = unique("many")
    # 9 orphans, their owners taking turns (by name): 3 deleted projects.
    made = [owned_images(doomed[n % 3]["id"], f"{tag}-{n:02d}") for n in range(9)]
    mine = names_filter(*(f"{tag}-{n:02d}" for n in range(9)))
    for project in doomed:
        projects.delete(project["id"])
        assert keystone_says(stack, project["id"]) == 404
    admin = api("admin")
    listed(admin, name="none-such")  # the token is validated now, not counted below

    sent.clear()
    page = listed(admin, orphaned="true", paginate="true", name=mine)
    assert [(i["id"], i["owner_status"]) for i in page["items"]] == [(i, "gone") for i in made]
    # The list once (afresh), then each deleted owner once: 4 calls for 9 orphans.
    asked = keystone_project_calls(sent)
    assert sorted(asked) == sorted(["list"] + [p["id"] for p in doomed]), asked

    # Again: the owners' answers are reused; only the list is read afresh.
    sent.clear()
    assert [i["id"] for i in listed(admin, orphaned="true", paginate="true",
                                    name=mine)["items"]] == made
    assert keystone_project_calls(sent) == ["list"]


def test_a_bounded_scan_carries_on_from_its_marker(
        api, stack, projects, owned_images, sent, settings):
    """Each request reads at most ORPHAN_SCAN_IMAGES of Glance's images and
    asks Keystone about OWNER_LOOKUPS owners at most; scan_marker carries on."""
    settings.ORPHAN_SCAN_IMAGES = 4
    settings.OWNER_LOOKUPS = 1
    kept = projects.create("adm-scan-kept")
    doomed = [projects.create(f"adm-scan-{n}") for n in range(2)]
    tag = unique("scan")
    owners_of = [kept, doomed[0], kept, doomed[1], kept, kept, kept, kept, doomed[0], kept]
    made = [owned_images(p["id"], f"{tag}-{n:02d}") for n, p in enumerate(owners_of)]
    mine = names_filter(*(f"{tag}-{n:02d}" for n in range(len(made))))
    for project in doomed:
        projects.delete(project["id"])
        assert keystone_says(stack, project["id"]) == 404
    admin = api("admin")
    listed(admin, name="none-such")

    pages, marker = [], None
    for _ in range(len(made)):  # each request makes progress: never more than this
        sent.clear()
        query = {"orphaned": "true", "paginate": "true", "name": mine}
        if marker:
            query["marker"] = marker
        page = listed(admin, **query)
        assert len(glance_listings(sent)) == 1, sent  # one of Glance's pages of at most 4
        assert "limit=4" in glance_listings(sent)[0]
        assert len([c for c in keystone_project_calls(sent) if c != "list"]) <= 1
        pages.append([i["id"] for i in page["items"]])
        if not page["has_more_data"]:
            assert page["scan_marker"] is None
            break
        marker = page["scan_marker"] or page["items"][-1]["id"]
    # 1: images 0-2 (the owner of 3 is not asked: one lookup per request);
    # 2: images 3-6 (four read); 3: images 7-9, the end (8's owner known by now).
    assert pages == [[made[1]], [made[3]], [made[8]]]


# A site policy (Keystone reads it from its config folder, and reads it again
# when it changes) for callers with this role: Keystone's admin rule no longer
# applies to them; they may list and see their own domain's projects only.
# Glance still lets them, as admins, list every image. Every other caller keeps
# Keystone's defaults; the file stays for the rest of the run.
NARROW_ROLE = "glance_rest_one_domain"
SITE_POLICY = {
    "admin_required": f"(role:admin or is_admin:1) and not role:{NARROW_ROLE}",
    "identity:list_projects": (
        "(rule:admin_required) or (role:reader and system_scope:all) or "
        "(role:reader and domain_id:%(target.domain_id)s) or "
        f"(role:{NARROW_ROLE} and project_domain_id:%(filter_attr.domain_id)s)"),
    "identity:get_project": (
        "(rule:admin_required) or (role:reader and system_scope:all) or "
        "(role:reader and domain_id:%(target.project.domain_id)s and "
        "not None:%(target.project.domain_id)s) or project_id:%(target.project.id)s or "
        f"(role:{NARROW_ROLE} and project_domain_id:%(target.project.domain_id)s)"),
}


@pytest.fixture(scope="module")
def one_domain_admin(stack):
    """A second domain with a project, and a user there with the admin role
    (for Glance) and NARROW_ROLE (for Keystone) on it, made through Keystone's
    API as admin; yields (domain, its project, token)."""
    admin, url = stack.session("admin"), stack.keystone_url
    name = unique("domain")
    domain = admin.post(f"{url}/domains", json={"domain": {"name": name}}).json()["domain"]
    home = admin.post(f"{url}/projects", json={"project": {
        "name": f"{name}-home", "domain_id": domain["id"]}}).json()["project"]
    password = unique("pw")
    user = admin.post(f"{url}/users", json={"user": {
        "name": f"{name}-admin", "domain_id": domain["id"],
        "password": password}}).json()["user"]
    found = admin.get(f"{url}/roles", params={"name": NARROW_ROLE}).json()["roles"]
    narrow = found[0] if found else admin.post(
        f"{url}/roles", json={"role": {"name": NARROW_ROLE}}).json()["role"]
    role_admin = admin.get(f"{url}/roles", params={"name": "admin"}).json()["roles"][0]
    for role in (role_admin, narrow):
        admin.put(f"{url}/projects/{home['id']}/users/{user['id']}/roles/{role['id']}")
    (stack.data_dir / "keystone" / "policy.yaml").write_text(json.dumps(SITE_POLICY, indent=1))
    token = ks_session.Session(auth=v3.Password(
        auth_url=url, username=user["name"], password=password, user_domain_id=domain["id"],
        project_id=home["id"])).get_token()
    yield domain, home, token
    admin.delete(f"{url}/users/{user['id']}")
    admin.delete(f"{url}/projects/{home['id']}")
    admin.patch(f"{url}/domains/{domain['id']}", json={"domain": {"enabled": False}})
    admin.delete(f"{url}/domains/{domain['id']}")


def test_an_owner_keystone_will_not_show_is_unknown_not_orphaned(
        api, api_settings, stack, projects, owned_images, one_domain_admin):
    from django.test import Client

    domain, home, token = one_domain_admin
    url = stack.keystone_url
    narrowed = Client(HTTP_X_AUTH_TOKEN=token)
    # What Keystone shows this caller: not every project; its own domain's.
    as_narrowed = {"headers": {"X-Auth-Token": token}, "raise_exc": False}
    keystone, plain = stack.session("admin"), ks_session.Session()
    assert plain.get(f"{url}/projects", **as_narrowed).status_code == 403
    own = plain.get(f"{url}/projects", params={"domain_id": domain["id"]},
                    **as_narrowed).json()["projects"]
    assert {p["id"] for p in own} == {home["id"]}

    other_live, other_doomed = projects.create("adm-other"), projects.create("adm-other-gone")
    same_doomed = keystone.post(f"{url}/projects", json={"project": {
        "name": unique("adm-same-gone"), "domain_id": domain["id"]}}).json()["project"]
    projects.made.append(same_doomed["id"])
    tag = unique("narrow")
    images = {
        "home": owned_images(home["id"], f"{tag}-a"),
        "other_live": owned_images(other_live["id"], f"{tag}-b"),
        "other_gone": owned_images(other_doomed["id"], f"{tag}-c"),
        "same_gone": owned_images(same_doomed["id"], f"{tag}-d"),
    }
    mine = names_filter(*(f"{tag}-{c}" for c in "abcd"))
    for project in (other_doomed, same_doomed):
        projects.delete(project["id"])
        assert keystone_says(stack, project["id"]) == 404
    # Glance shows this caller every one of the images, owners as made.
    direct = glance_as(stack, token).images.list(filters={"name": mine})
    assert {i.id: i.owner for i in direct} == {
        images["home"]: home["id"], images["other_live"]: other_live["id"],
        images["other_gone"]: other_doomed["id"], images["same_gone"]: same_doomed["id"]}
    # Keystone tells it of its own project only: of a live project elsewhere,
    # and of a deleted project anywhere, it will not say (403 both).
    for project_id, status in ((home["id"], 200), (other_live["id"], 403),
                               (other_doomed["id"], 403), (same_doomed["id"], 403)):
        assert plain.get(f"{url}/projects/{project_id}", **as_narrowed).status_code == status

    seen = {i["id"]: (i["owner_status"], i["project_name"])
            for i in listed(narrowed, name=mine)["items"]}
    assert seen == {images["home"]: ("live", home["name"]),
                    images["other_live"]: ("unknown", None),
                    images["other_gone"]: ("unknown", None),
                    images["same_gone"]: ("unknown", None)}
    # Never an orphan: not the live project's image, nor one Keystone will not confirm.
    assert listed(narrowed, orphaned="true", name=mine)["items"] == []

    # An administrator Keystone tells everything: two orphans, two live.
    admin = api("admin")
    seen = {i["id"]: i["owner_status"] for i in listed(admin, name=mine)["items"]}
    assert seen == {images["home"]: "live", images["other_live"]: "live",
                    images["other_gone"]: "gone", images["same_gone"]: "gone"}
    assert [i["id"] for i in listed(admin, orphaned="true", name=mine)["items"]] == [
        images["other_gone"], images["same_gone"]]


def glance_as(stack, token):
    """A direct glanceclient with ``token``: what Glance shows its caller."""
    from glanceclient import Client as GlanceClient
    from keystoneauth1 import token_endpoint

    return GlanceClient("2", session=ks_session.Session(
        auth=token_endpoint.Token(stack.glance_url, token)))


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
