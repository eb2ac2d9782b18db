"""Metadefs administration through the API, as the stack's admin: import,
edit, associate, manage properties, objects and tags, export and re-import,
delete; Glance read directly after each step. The member demo is refused each
administrative call; a protected namespace's delete is Glance's refusal; the
namespaces cache of one instance shows a change made through another.

Every namespace made here is named GlanceRest::... (tests/api/test_stack.py
tells such namespaces from the shipped ones) and removed again."""

import json
import urllib.parse
import uuid

import pytest
import requests

from tests.api.test_processes import redis_server  # noqa: F401 - the fixture
from tests.api.test_stack import _metadefs_files
from tests.helpers import in_glance, patch_json, put_json, remove_from_glance

pytestmark = pytest.mark.stack

NAMESPACES = "/api/glance/metadefs/namespaces/"


def unique_name(kind="Admin"):
    return f"GlanceRest::{kind}::{uuid.uuid4().hex[:8]}"


def url(namespace, *parts):
    return NAMESPACES + "".join(urllib.parse.quote(p, safe="") + "/" for p in (namespace, *parts))


def post_json(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture(scope="module")
def glance(stack):
    """Glance directly, as admin: one client (one token) for the module."""
    return stack.glance("admin")


def document(name, **extra):
    return {
        "namespace": name, "display_name": "GlanceRest test", "description": "first",
        "visibility": "public", "protected": False,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "gr_"}],
        "properties": {"speed": {"title": "Speed", "type": "string",
                                 "enum": ["slow", "fast"], "default": "slow"}},
        "objects": [{"name": "Limits", "description": "Some limits", "required": ["cap"],
                     "properties": {"cap": {"title": "Cap", "type": "integer",
                                            "minimum": 0}}}],
        "tags": [{"name": "gr-one"}, {"name": "gr-two"}],
        **extra,
    }


def contents(namespace):
    """What a namespace holds, in a form to compare."""
    return {
        "properties": namespace.get("properties") or {},
        "objects": {o["name"]: (o.get("description"), sorted(o.get("required") or []),
                                o.get("properties") or {})
                    for o in namespace.get("objects") or ()},
        "tags": sorted(t["name"] for t in namespace.get("tags") or ()),
        "associations": sorted((a["name"], a.get("prefix"), a.get("properties_target"))
                               for a in namespace.get("resource_type_associations") or ()),
    }


@pytest.fixture
def namespace(api, glance):
    """A public, unprotected namespace admin imported through the API."""
    name = unique_name()
    created = post_json(api("admin"), NAMESPACES, document(name))
    assert created.status_code == 201, created.content
    yield name
    remove_from_glance(glance, name)


def test_import_edit_associate_contents_export_reimport_delete(api, glance):
    admin = api("admin")
    name, copy_name = unique_name(), unique_name("Copy")
    try:
        # Import: one document, all it holds.
        sent = document(name, owner="someone", created_at="2020-01-01T00:00:00Z")
        created = post_json(admin, NAMESPACES, sent)
        assert created.status_code == 201, created.content
        assert created["Location"] == url(name)
        shown = in_glance(glance, name)
        assert contents(shown) == contents(document(name))
        assert (shown["visibility"], shown["protected"], shown["description"]) == (
            "public", False, "first")
        assert shown["owner"] != "someone"  # left out, as Horizon's Import does
        # The same name again: Glance's 409.
        again = post_json(admin, NAMESPACES, document(name))
        assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")

        # One namespace whole, as Glance has it.
        whole = admin.get(url(name)).json()
        assert contents(whole) == contents(shown)

        # Edit: what is not sent stays.
        edited = patch_json(admin, url(name), {"description": "second", "protected": True})
        assert edited.status_code == 200, edited.content
        shown = in_glance(glance, name)
        assert (shown["description"], shown["protected"], shown["display_name"],
                shown["visibility"]) == ("second", True, "GlanceRest test", "public")
        assert contents(shown) == contents(document(name))

        # Protected: Glance refuses the delete, with its reason.
        refused = admin.delete(url(name))
        error = refused.json()["error"]
        assert (refused.status_code, error["code"]) == (403, "forbidden"), error
        assert "protected" in error["message"]
        assert in_glance(glance, name) is not None
        # Nor may anything be removed from it; unprotected, for the changes below.
        removal = admin.delete(url(name, "resourcetypes", "OS::Glance::Image"))
        assert (removal.status_code, removal.json()["error"]["code"]) == (403, "forbidden")
        assert patch_json(admin, url(name), {"protected": False}).status_code == 200

        # Associations: list, add with prefix and target, remove.
        types = url(name, "resourcetypes")
        assert [a["name"] for a in admin.get(types).json()["items"]] == ["OS::Glance::Image"]
        added = post_json(admin, types, {"name": "OS::Cinder::Volume", "prefix": "gr_",
                                         "properties_target": "image"})
        assert added.status_code == 201, added.content
        assert ("OS::Cinder::Volume", "gr_", "image") in contents(
            in_glance(glance, name))["associations"]
        assert admin.delete(url(name, "resourcetypes", "OS::Cinder::Volume")).status_code == 204
        assert contents(in_glance(glance, name))["associations"] == [
            ("OS::Glance::Image", "gr_", None)]

        # Properties: create, replace, delete.
        made = post_json(admin, url(name, "properties"),
                         {"name": "size", "title": "Size", "type": "integer", "minimum": 1})
        assert made.status_code == 201, made.content
        assert in_glance(glance, name)["properties"]["size"]["minimum"] == 1
        replaced = put_json(admin, url(name, "properties", "size"),
                            {"title": "Size 2", "type": "integer", "maximum": 9})
        assert replaced.status_code == 200, replaced.content
        size = in_glance(glance, name)["properties"]["size"]
        assert (size["title"], size.get("maximum"), size.get("minimum")) == ("Size 2", 9, None)
        assert admin.delete(url(name, "properties", "size")).status_code == 204
        assert "size" not in in_glance(glance, name)["properties"]

        # Objects: create, replace, delete.
        made = post_json(admin, url(name, "objects"), {
            "name": "Extra Limits", "description": "e",
            "properties": {"top": {"title": "Top", "type": "integer"}}})
        assert made.status_code == 201, made.content
        assert contents(in_glance(glance, name))["objects"]["Extra Limits"][0] == "e"
        replaced = put_json(admin, url(name, "objects", "Extra Limits"), {"description": "e2"})
        assert replaced.status_code == 200, replaced.content
        assert contents(in_glance(glance, name))["objects"]["Extra Limits"] == ("e2", [], {})
        assert admin.delete(url(name, "objects", "Extra Limits")).status_code == 204
        assert set(contents(in_glance(glance, name))["objects"]) == {"Limits"}

        # Tags: create, rename, delete.
        assert post_json(admin, url(name, "tags"), {"name": "gr-three"}).status_code == 201
        assert "gr-three" in contents(in_glance(glance, name))["tags"]
        renamed = put_json(admin, url(name, "tags", "gr-three"), {"name": "gr-four"})
        assert renamed.status_code == 200, renamed.content
        assert contents(in_glance(glance, name))["tags"] == ["gr-four", "gr-one", "gr-two"]
        assert admin.delete(url(name, "tags", "gr-four")).status_code == 204
        assert contents(in_glance(glance, name))["tags"] == ["gr-one", "gr-two"]

        # Export, and import the export under another name: the same namespace.
        exported = admin.get(url(name, "export"))
        assert exported.status_code == 200, exported.content
        exported = exported.json()
        # Every field, against the document this test wrote out (document(),
        # not the code under test) with the one change the steps above left:
        # lists in name order, nothing Glance sets (owner, created_at,
        # updated_at, self, schema) and no null.
        assert exported == document(name, description="second")
        again = post_json(admin, NAMESPACES, {**exported, "namespace": copy_name})
        assert again.status_code == 201, again.content
        original, copy = in_glance(glance, name), in_glance(glance, copy_name)
        assert contents(copy) == contents(original)
        assert (copy["description"], copy["protected"], copy["visibility"]) == (
            "second", False, "public")
        assert admin.get(url(copy_name, "export")).json() == {**exported,
                                                              "namespace": copy_name}

        for each in (name, copy_name):
            assert admin.delete(url(each)).status_code == 204
            assert in_glance(glance, each) is None
        gone = admin.get(url(name))
        assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_found")
    finally:
        remove_from_glance(glance, name)
        remove_from_glance(glance, copy_name)


def test_glances_shipped_metadefs_import_as_they_are(api, glance):
    """Each of Glance's own files, under a name of its own (the original is
    loaded already): Glance then holds what the file says."""
    admin = api("admin")
    made = []
    try:
        for shipped in _metadefs_files():
            name = f"GlanceRest::{uuid.uuid4().hex[:6]}::{shipped['namespace']}"[:80]
            answer = post_json(admin, NAMESPACES, {**shipped, "namespace": name})
            assert answer.status_code == 201, (shipped["namespace"], answer.content)
            made.append(name)
            shown = in_glance(glance, name)
            held, meant = contents(shown), contents(shipped)
            assert held["associations"] == meant["associations"], name
            assert held["tags"] == meant["tags"], name
            assert set(held["objects"]) == set(meant["objects"]), name
            assert {k: (p["title"], p["type"]) for k, p in held["properties"].items()} == {
                k: (p["title"], p["type"]) for k, p in meant["properties"].items()}, name
            assert shown["protected"] == shipped.get("protected", False)
            assert shown["visibility"] == shipped.get("visibility", "private")
            # Delete through the API too (protected ones once unprotected).
            if shown["protected"]:
                assert patch_json(admin, url(name), {"protected": False}).status_code == 200
            assert admin.delete(url(name)).status_code == 204
            made.remove(name)
    finally:
        for name in made:
            remove_from_glance(glance, name)


def test_bad_documents_are_400_before_glance(api):
    admin = api("admin")
    for body, field in (({"namespace": "GlanceRest::x", "bogus": 1}, "bogus"),
                        ({"display_name": "no name"}, "namespace"),
                        ({"namespace": "GlanceRest::x", "properties": {"p": {"title": "t"}}},
                         "type")):
        answer = post_json(admin, NAMESPACES, body)
        error = answer.json()["error"]
        assert (answer.status_code, error["code"], error["field"]) == (400, "bad_input", field)
    not_json = admin.post(NAMESPACES, "{", content_type="application/json")
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "bad_request")


def test_a_rename_onto_a_name_the_namespace_holds_is_409(api, glance, namespace):
    """Glance answers such a rename of a property or an object with its 500
    (found by the admin's contract run); the API answers 409 and Glance keeps
    both as they were."""
    admin = api("admin")
    assert post_json(admin, url(namespace, "properties"),
                     {"name": "other", "title": "Other", "type": "string"}).status_code == 201
    assert post_json(admin, url(namespace, "objects"), {"name": "Other"}).status_code == 201
    before = contents(in_glance(glance, namespace))
    for collection, name, body in (
            ("properties", "other", {"name": "speed", "title": "X", "type": "string"}),
            ("objects", "Other", {"name": "Limits"})):
        answer = put_json(admin, url(namespace, collection, name), body)
        assert answer.status_code == 409, answer.content
        assert answer.json()["error"]["field"] == "name"
    assert contents(in_glance(glance, namespace)) == before
    # A rename onto a free name still renames.
    renamed = put_json(admin, url(namespace, "objects", "Other"), {"name": "Free"})
    assert renamed.status_code == 200, renamed.content
    assert "Free" in contents(in_glance(glance, namespace))["objects"]


def test_a_member_is_refused_each_administrative_call(api, glance, namespace):
    """demo (member role) reads the public namespace but may change nothing:
    Glance's policy (metadefs are an administrator's), 403 each time."""
    demo = api("demo")
    assert demo.get(url(namespace)).status_code == 200
    assert demo.get(url(namespace, "export")).status_code == 200
    before = in_glance(glance, namespace)
    calls = [
        lambda: post_json(demo, NAMESPACES, document(unique_name("Member"))),
        lambda: patch_json(demo, url(namespace), {"description": "mine"}),
        lambda: demo.delete(url(namespace)),
        lambda: post_json(demo, url(namespace, "resourcetypes"), {"name": "OS::Nova::Flavor"}),
        lambda: demo.delete(url(namespace, "resourcetypes", "OS::Glance::Image")),
        lambda: post_json(demo, url(namespace, "properties"),
                          {"name": "p", "title": "P", "type": "string"}),
        lambda: put_json(demo, url(namespace, "properties", "speed"),
                         {"title": "S", "type": "string"}),
        lambda: demo.delete(url(namespace, "properties", "speed")),
        lambda: post_json(demo, url(namespace, "objects"), {"name": "O"}),
        lambda: put_json(demo, url(namespace, "objects", "Limits"), {"description": "x"}),
        lambda: demo.delete(url(namespace, "objects", "Limits")),
        lambda: post_json(demo, url(namespace, "tags"), {"name": "mine"}),
        lambda: put_json(demo, url(namespace, "tags", "gr-one"), {"name": "mine"}),
        lambda: demo.delete(url(namespace, "tags", "gr-one")),
    ]
    for index, call in enumerate(calls):
        answer = call()
        error = answer.json()["error"]
        assert (answer.status_code, error["code"]) == (403, "forbidden"), (index, error)
    after = in_glance(glance, namespace)
    assert contents(after) == contents(before)
    assert after["description"] == before["description"]


def test_a_change_shows_in_the_listing_at_once(api, settings, namespace):
    """The listing's cached body is not served after a change Glance's
    summary does not show (a property added: updated_at stays)."""
    settings.METADEFS_CACHE_SECONDS = 600
    admin = api("admin")

    def listed():
        items = admin.get(NAMESPACES, {"resource_type": "OS::Glance::Image"}).json()["items"]
        return next(n for n in items if n["namespace"] == namespace)

    assert set(listed()["properties"]) == {"gr_speed"}
    assert post_json(admin, url(namespace, "properties"),
                     {"name": "extra", "title": "E", "type": "string"}).status_code == 201
    assert set(listed()["properties"]) == {"gr_speed", "gr_extra"}


# Glance's rules that read a namespace's contents, each refused to a role of its own.
REFUSABLE = {"objects": "get_metadef_objects", "properties": "get_metadef_properties",
             "tags": "get_metadef_tags"}


@pytest.fixture
def refused_readers(stack):
    """{collection: user}: three users, each a member of a project of its own
    with one role more, which a Glance policy file (in the stack's policy.d,
    read again by Glance on its next check) refuses that collection of every
    namespace. No other user has these roles: the rest of the run is
    unaffected. Removed again, roles, users, projects and file."""
    admin, keystone = stack.session("admin"), stack.keystone_url
    policy_dir = stack.data_dir / "glance" / "etc" / "policy.d"
    policy = policy_dir / "glance-rest-refused-readers.yaml"
    suffix = uuid.uuid4().hex[:8]
    # Glance's own check strings: a refusal adds to whatever its release allows.
    defaults = stack.glance_policy_defaults()
    roles, users, rules = [], {}, {}
    try:
        for collection, rule in REFUSABLE.items():
            role = admin.post(f"{keystone}/roles", json={"role": {
                "name": f"glance-rest-no-{collection}-{suffix}"}}).json()["role"]
            roles.append(role["id"])
            user = stack.add_member(f"no-{collection}-{suffix}")
            users[collection] = user
            user_id = admin.get(f"{keystone}/users", params={"name": user}).json()["users"][0]["id"]
            project_id = admin.get(f"{keystone}/projects",
                                   params={"name": user}).json()["projects"][0]["id"]
            admin.put(f"{keystone}/projects/{project_id}/users/{user_id}/roles/{role['id']}")
            rules[rule] = f"({defaults[rule]}) and not role:{role['name']}"
        # Whole or not at all: Glance reads every file the folder holds.
        policy_dir.mkdir(exist_ok=True)
        written = stack.data_dir / policy.name
        written.write_text(json.dumps(rules, indent=1))
        written.replace(policy)
        yield users
    finally:
        # The folder stays: Glance then reads its rules again, without these.
        policy.unlink(missing_ok=True)
        for role_id in roles:
            admin.delete(f"{keystone}/roles/{role_id}", raise_exc=False)
        for user in users.values():
            for kind in ("users", "projects"):
                for found in admin.get(f"{keystone}/{kind}", params={"name": user}).json()[kind]:
                    if kind == "projects":
                        stack.delete_project(found["id"])
                    else:
                        admin.delete(f"{keystone}/users/{found['id']}", raise_exc=False)


def test_cached_contents_follow_glances_policy_for_each_caller(api, settings, stack,
                                                                namespace, refused_readers):
    """A namespace's body cached for one caller is not handed to another whom
    Glance's policy refuses its objects, its properties or its tags: each
    such caller gets Glance's own answer, a 403."""
    settings.METADEFS_CACHE_SECONDS = 600
    settings.BACKEND_CALLS_HEADER = True
    query = {"resource_type": "OS::Glance::Image"}

    def listed(client):
        answer = client.get(NAMESPACES, query)
        assert answer.status_code == 200, answer.content
        return next(n for n in answer.json()["items"] if n["namespace"] == namespace), answer

    # The administrator's listing caches the full body; its next listing is
    # answered from that cache (Glance's listing only).
    admin = api("admin")
    found, _ = listed(admin)
    assert contents(found)["tags"] == ["gr-one", "gr-two"]
    found, again = listed(admin)
    assert again["X-Backend-Calls"].startswith("glance=1,"), again["X-Backend-Calls"]
    assert set(found["properties"]) == {"gr_speed"} and contents(found)["objects"]

    path = f"/v2/metadefs/namespaces/{urllib.parse.quote(namespace, safe='')}"
    for refused, user in refused_readers.items():
        # Glance directly, as this user: the namespace is listed, and each of
        # its collections is readable but the refused one; the whole
        # namespace (which holds all three) is refused.
        direct = stack.session(user)

        def status(suffix=""):
            return direct.get(stack.glance_url + path + suffix, raise_exc=False).status_code

        listing = direct.get(stack.glance_url + "/v2/metadefs/namespaces",
                             params={"resource_types": "OS::Glance::Image", "limit": 1000})
        assert namespace in [n["namespace"] for n in listing.json()["namespaces"]]
        assert {collection: status(f"/{collection}") for collection in REFUSABLE} == {
            collection: 403 if collection == refused else 200 for collection in REFUSABLE}, user
        assert status() == 403, user

        # The API, as this user: Glance's 403, never the cached body.
        client = api(user)
        for answer in (client.get(NAMESPACES, query), client.get(url(namespace))):
            assert answer.status_code == 403, (user, answer.content[:500])
            assert answer.json()["error"]["code"] == "forbidden"
            assert b"gr-one" not in answer.content and b"Limits" not in answer.content

    # A member Glance allows all three reads gets the namespace whole.
    found, _ = listed(api("demo"))
    assert contents(found) == contents(admin.get(url(namespace), query).json())


@pytest.mark.slow
def test_an_instance_sharing_the_cache_shows_anothers_change(stack, glance, tmp_path,
                                                             redis_server):  # noqa: F811
    """Two API instances sharing one Redis: once the first has cached the
    namespace, a change through the second shows in the first's listing."""
    from stack.testing import ApiServer

    env = {"REDIS_URL": redis_server, "METADEFS_CACHE_SECONDS": "600",
           "BACKEND_CALLS_HEADER": "1"}
    first = ApiServer(stack, tmp_path / "first", workers=1, extra_env=env).start()
    second = ApiServer(stack, tmp_path / "second", workers=1, extra_env=env).start()
    headers = {"X-Auth-Token": stack.token("admin")}
    name = unique_name("Cache")
    query = {"resource_type": "OS::Glance::Image"}

    def listed(server):
        answer = requests.get(server.url + NAMESPACES, params=query, headers=headers,
                              timeout=60)
        assert answer.status_code == 200, answer.text
        found = next(n for n in answer.json()["items"] if n["namespace"] == name)
        return found, answer.headers["X-Backend-Calls"]

    def call(server, method, path, body=None):
        answer = requests.request(method, server.url + path, json=body, headers=headers,
                                  timeout=60)
        assert answer.status_code < 300, answer.text

    try:
        call(first, "POST", NAMESPACES, document(name))
        listed(first)
        # Warm: the full bodies come from the shared cache (the listing only).
        found, calls = listed(first)
        assert calls.startswith("glance=1,"), calls
        assert set(found["properties"]) == {"gr_speed"}

        call(second, "POST", url(name, "properties"), {"name": "extra", "title": "E",
                                                       "type": "string"})
        found, calls = listed(first)
        assert set(found["properties"]) == {"gr_speed", "gr_extra"}, calls
        call(second, "DELETE", url(name, "objects", "Limits"))
        assert listed(first)[0].get("objects", []) == []
        call(first, "PUT", url(name, "tags", "gr-one"), {"name": "gr-renamed"})
        assert sorted(t["name"] for t in listed(second)[0]["tags"]) == ["gr-renamed", "gr-two"]
        call(second, "PATCH", url(name), {"description": "changed"})
        assert listed(first)[0]["description"] == "changed"
    finally:
        first.stop()
        second.stop()
        remove_from_glance(glance, name)


IMPORT = "/api/glance/metadefs/import/"


def test_several_documents_in_one_call_each_with_its_outcome(api, glance):
    """One call imports each document as the single import does; one refused
    (a name Glance has already: its 409) does not stop the others."""
    first, second = unique_name("Batch"), unique_name("Batch")
    try:
        answer = post_json(api("admin"), IMPORT, {"namespaces": [
            document(first), document("OS::Compute::Libvirt"), document(second)]})
        assert answer.status_code == 200, answer.content
        items = answer.json()["items"]
        assert [(i["namespace"], i["status"]) for i in items] == [
            (first, 201), ("OS::Compute::Libvirt", 409), (second, 201)]
        assert items[1]["error"]["code"] == "conflict"
        for name in (first, second):
            assert contents(in_glance(glance, name)) == contents(document(name))
        # Libvirt is Glance's shipped namespace, untouched.
        assert in_glance(glance, "OS::Compute::Libvirt")["display_name"] != "GlanceRest test"
    finally:
        for name in (first, second):
            remove_from_glance(glance, name)


def test_a_member_imports_nothing_in_one_call(api, glance):
    name = unique_name("Member")
    answer = post_json(api("demo"), IMPORT, {"namespaces": [document(name)]})
    assert answer.status_code == 200, answer.content
    (item,) = answer.json()["items"]
    assert (item["status"], item["error"]["code"]) == (403, "forbidden")
    assert in_glance(glance, name) is None
