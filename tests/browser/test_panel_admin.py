"""The panel's administrator views in Chromium, as an administrator clicks
them, against the API and the real stack: every project's images (project
names, the project filter, the orphaned filter) and the metadata definitions
(import, edit, associations, contents, export, re-import, delete, batch
delete). Glance and Keystone are read directly after each step. A member
sees none of it. Screenshots as in test_panel.py."""

import json
import re
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.test_panel import (  # noqa: F401 - fixtures
    DESKTOP, PHONE, accessibility_violations, fits, log_in, panel, panel_server, screenshot,
)
from tests.helpers import in_glance, make_image, remove_from_glance, unique

pytestmark = [pytest.mark.stack, pytest.mark.browser]


@pytest.fixture(scope="module")
def glance(stack):
    return stack.glance("admin")


@pytest.fixture
def namespace_name(glance):
    """A fresh GlanceRest::... name; whatever a failed test left is removed."""
    name = f"GlanceRest::Panel::{uuid.uuid4().hex[:8]}"
    yield name
    remove_from_glance(glance, name)


def document(name):
    return {
        "namespace": name, "display_name": "Panel test", "description": "first",
        "visibility": "public", "protected": False,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "pt_"}],
        "properties": {"speed": {"title": "Speed", "type": "string", "enum": ["slow", "fast"]}},
        "objects": [{"name": "Limits", "properties": {"cap": {"title": "Cap", "type": "integer"}}}],
        "tags": [{"name": "pt-one"}],
    }


def drop_file(page, selector, name, text):
    """Drops a file on ``selector`` as a person drags one from their desktop."""
    transfer = page.evaluate_handle(
        """([name, text]) => { const transfer = new DataTransfer();
           transfer.items.add(new File([text], name, {type: "application/json"}));
           return transfer; }""", [name, text])
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def contents_row(page, kind, name):
    return page.locator(f'#contents-body tr[data-kind="{kind}"][data-name="{name}"]')


def save_content(page, kind, name, definition=None):
    form = page.locator("#content-form")
    if form.locator("#content-kind").is_enabled():
        form.get_by_label("Kind").select_option(kind)
    form.get_by_label("Name", exact=True).fill(name)
    if definition is not None:
        form.get_by_label("Definition").fill(json.dumps(definition))
    form.locator("#content-save").click()


def test_import_edit_associate_contents_export_reimport_delete(
        panel, panel_server, stack, glance, namespace_name, tmp_path):
    name = namespace_name
    page = panel("admin")
    expect(page.locator("#admin-nav")).to_be_visible()
    page.get_by_role("link", name="Metadata definitions").click()
    expect(page.locator("#namespaces-view")).to_be_visible()
    page.get_by_role("link", name="Import namespace").click()
    expect(page).to_have_url(re.compile(r"#/admin/namespaces/import$"))
    import_form = page.locator("#namespace-import-form")
    import_button = import_form.get_by_role("button", name="Import", exact=True)
    box = import_form.get_by_label("Namespace JSON")
    error = page.locator("#namespace-json-error")

    # Pasted JSON with a syntax error: the line and column, nothing created.
    box.fill('{"namespace": "%s",\n "display_name": "x"\n "tags": []}' % name)
    import_button.click()
    expect(error).to_have_text(re.compile(r"^Not valid JSON at line 3, column 2"))
    expect(box).to_have_attribute("aria-invalid", "true")
    # JSON Glance refuses: a namespace that exists already (Glance's 409).
    box.fill(json.dumps({"namespace": "OS::Compute::Libvirt"}))
    import_button.click()
    expect(error).to_have_text(re.compile(r"^Not imported, nothing was created\. Error 409: "))
    # A field the API refuses: named, with its line.
    bad = document(name)
    bad["properties"]["speed"]["type"] = "fastest"
    box.fill(json.dumps(bad, indent=1))
    import_button.click()
    expect(error).to_have_text(re.compile(r"Error 400: type: .*\(line \d+, column \d+\)$"))
    assert in_glance(glance, name) is None

    # A file, chosen: its visibility and protection become the form's choices.
    page.set_input_files("#namespace-file", files=[{
        "name": "ns.json", "mimeType": "application/json",
        "buffer": json.dumps(document(name)).encode()}])
    expect(import_form.get_by_label("Public")).to_be_checked()
    expect(import_form.get_by_label("Protected")).not_to_be_checked()
    import_button.click()
    expect(page.locator("#namespace-view")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/admin/namespaces/GlanceRest"))
    expect(page.locator('#namespace-facts [data-fact="Name"]')).to_have_text(name)
    held = in_glance(glance, name)
    assert held["visibility"] == "public" and set(held["properties"]) == {"speed"}
    assert [t["name"] for t in held["tags"]] == ["pt-one"]

    # Edit the namespace.
    edit = page.locator("#namespace-edit-form")
    edit.get_by_label("Description").fill("second")
    edit.get_by_label("Public").uncheck()
    edit.get_by_role("button", name="Save").click()
    expect(page.locator('#namespace-facts [data-fact="Description"]')).to_have_text("second")
    held = in_glance(glance, name)
    assert (held["description"], held["visibility"], held["display_name"]) == (
        "second", "private", "Panel test")

    # Associations: add one with its prefix, remove the first.
    form = page.locator("#association-form")
    form.get_by_label("Resource type").select_option("OS::Nova::Flavor")
    form.get_by_label("Prefix").fill("pt:")
    form.get_by_role("button", name="Associate").click()
    expect(page.locator('#associations-body tr[data-resource-type="OS::Nova::Flavor"]')).to_contain_text("pt:")
    page.get_by_role("button", name="Remove OS::Glance::Image").click()
    expect(page.locator('#associations-body tr[data-resource-type="OS::Glance::Image"]')).to_have_count(0)
    assert [(a["name"], a.get("prefix")) for a in in_glance(glance, name)[
        "resource_type_associations"]] == [("OS::Nova::Flavor", "pt:")]

    # Contents: add a property, edit it, add and rename a tag, delete the object.
    save_content(page, "properties", "size", {"title": "Size", "type": "integer"})
    expect(contents_row(page, "properties", "size")).to_contain_text("Size")
    page.get_by_role("button", name="Edit property size").click()
    expect(page.locator("#content-definition")).to_have_value(re.compile('"type": "integer"'))
    save_content(page, "properties", "size", {"title": "Disk size", "type": "integer", "minimum": 1})
    expect(contents_row(page, "properties", "size")).to_contain_text("Disk size")
    held = in_glance(glance, name)["properties"]["size"]
    assert (held["title"], held["minimum"]) == ("Disk size", 1)
    # A definition the API refuses: the reason at the field, nothing changed.
    save_content(page, "properties", "broken", {"title": "B", "type": "nonsense"})
    expect(page.locator("#content-error")).to_have_text(re.compile(r"^Not saved\. Error 400: "))
    assert "broken" not in in_glance(glance, name)["properties"]
    save_content(page, "tags", "pt-two")
    expect(contents_row(page, "tags", "pt-two")).to_be_visible()
    page.get_by_role("button", name="Edit tag pt-two").click()
    save_content(page, "tags", "pt-three")
    expect(contents_row(page, "tags", "pt-three")).to_be_visible()
    page.get_by_role("button", name="Delete object Limits").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    expect(contents_row(page, "objects", "Limits")).to_have_count(0)
    held = in_glance(glance, name)
    assert sorted(t["name"] for t in held["tags"]) == ["pt-one", "pt-three"]
    assert held.get("objects", []) == []

    # Protected: Delete is not offered; unprotect again through Edit.
    edit.get_by_label("Protected").check()
    edit.get_by_role("button", name="Save").click()
    expect(page.locator("#namespace-delete")).to_be_disabled()
    assert in_glance(glance, name)["protected"] is True
    edit.get_by_label("Protected").uncheck()
    edit.get_by_role("button", name="Save").click()
    expect(page.locator("#namespace-delete")).to_be_enabled()

    # Export: the API's export document, as a file.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    exported = Path(download.value.path()).read_text()
    assert json.loads(exported) == requests.get(
        f"{panel_server.url}/api/glance/metadefs/namespaces/{urllib.parse.quote(name, safe='')}/export/",
        headers={"X-Auth-Token": stack.token("admin")}, timeout=30).json()
    assert json.loads(exported)["properties"]["size"]["title"] == "Disk size"

    # Delete, with one confirmation (cancelled first).
    page.locator("#namespace-delete").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Cancel").click()
    assert in_glance(glance, name) is not None
    page.locator("#namespace-delete").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#namespaces-view")).to_be_visible()
    expect(page.locator("#notice")).to_have_text(f"Namespace {name} deleted.")
    assert in_glance(glance, name) is None

    # Re-import the export, dropped on the form: the same namespace again.
    page.goto(panel_server.url + "/#/admin/namespaces/import")
    drop_file(page, "#namespace-import-form", "export.json", exported)
    expect(box).to_have_value(exported)
    import_button.click()
    expect(page.locator("#namespace-view")).to_be_visible()
    expect(page.locator('#namespace-facts [data-fact="Name"]')).to_have_text(name)
    again = in_glance(glance, name)
    assert (again["description"], sorted(again["properties"]), sorted(
        t["name"] for t in again["tags"])) == ("second", ["size", "speed"], ["pt-one", "pt-three"])

    # The table: search finds it, batch delete removes it.
    page.get_by_role("link", name="Metadata definitions").click()
    page.get_by_label("Search the namespaces").fill(name)
    rows = page.locator("#namespaces-body tr:not([hidden])")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("checkbox").check()
    page.get_by_role("button", name="Delete selected").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#namespace-batch-results")).to_have_text(f"{name}: deleted")
    assert in_glance(glance, name) is None


def test_protected_namespaces_cannot_be_chosen_for_deletion(panel, stack):
    page = panel("admin")
    page.goto(page.url.split("#")[0] + "#/admin/namespaces")
    row = page.locator('#namespaces-body tr[data-namespace="OS::Compute::Libvirt"]')
    expect(row.get_by_role("checkbox")).to_be_disabled()
    page.get_by_label("Select every namespace shown").check()
    # Every namespace but the protected ones is chosen.
    unprotected = page.locator('#namespaces-body td[data-label="Protected"]', has_text="No").count()
    expect(page.locator("#namespaces-body .select-row:checked")).to_have_count(unprotected)
    expect(row.get_by_role("checkbox")).not_to_be_checked()
    expect(page.locator("#namespace-batch-count")).to_have_text(
        f"{unprotected} selected" if unprotected else "")


def json_files(*documents):
    """Files as a person chooses them: each document's JSON, or the text given."""
    return [{"name": f"ns{i}.json", "mimeType": "application/json",
             "buffer": (d if isinstance(d, str) else json.dumps(d, indent=1)).encode()}
            for i, d in enumerate(documents)]


def test_several_files_import_in_one_call(panel, glance):
    """Several files make one list, imported in one call: each namespace keeps
    its own visibility and protection; the refused stay in the box with their
    reasons, the imported leave it."""
    first, second, third = (f"GlanceRest::Panel::{uuid.uuid4().hex[:8]}" for _ in range(3))
    private = dict(document(second), visibility="private", protected=True)
    page = panel("admin")
    page.goto(page.url.split("#")[0] + "#/admin/namespaces/import")
    form = page.locator("#namespace-import-form")
    box = form.get_by_label("Namespace JSON")
    error = page.locator("#namespace-json-error")
    imports = []
    page.on("request", lambda r: imports.append(r.url) if r.method == "POST" else None)
    try:
        # A syntax error in one of the files: its line in the box, nothing created.
        page.set_input_files("#namespace-file", files=json_files(
            document(first), '{"namespace": "%s",\n "tags": [}' % third, private))
        expect(form.get_by_label("Public")).to_be_disabled()
        expect(form.get_by_label("Protected")).to_be_disabled()
        expect(page.locator("#namespace-import-choices-hint")).to_be_visible()
        form.get_by_role("button", name="Import", exact=True).click()
        before = box.input_value().split('"tags": [}')[0].split("\n")
        expect(error).to_have_text(
            f"Not valid JSON at line {len(before)}, column {len(before[-1]) + 10}: "
            "Unexpected token '}'.")
        assert imports == []

        # A list whose second item is no namespace: the API's refusal names the
        # item, and nothing is created.
        box.fill(json.dumps([document(first), ["not", "a", "namespace"]]))
        form.get_by_role("button", name="Import", exact=True).click()
        expect(error).to_have_text("Not imported, nothing was created. Error 400: "
                                   "namespaces: item 2 must be an object, not list")
        assert [url.split("/api/")[1] for url in imports] == ["glance/metadefs/import/"]
        assert in_glance(glance, first) is None
        imports.clear()

        # Three files, one a name Glance has: the other two in one call.
        page.set_input_files("#namespace-file", files=json_files(
            document(first), {"namespace": "OS::Compute::Libvirt"}, private))
        form.get_by_role("button", name="Import", exact=True).click()
        expect(page.locator("#notice")).to_have_text("2 of 3 namespaces imported.")
        expect(error).to_have_text(re.compile(
            r"^Not imported, left in the box: OS::Compute::Libvirt: Error 409: "))
        assert json.loads(box.input_value()) == [{"namespace": "OS::Compute::Libvirt"}]
        assert [url.split("/api/")[1] for url in imports] == ["glance/metadefs/import/"]
        held_first, held_second = in_glance(glance, first), in_glance(glance, second)
        assert (held_first["visibility"], held_first["protected"]) == ("public", False)
        assert (held_second["visibility"], held_second["protected"]) == ("private", True)
        assert set(held_second["properties"]) == {"speed"}

        # What is left, mended in the box: imported, and the namespaces list shows it.
        box.fill(json.dumps([document(third)], indent=1))
        form.get_by_role("button", name="Import", exact=True).click()
        expect(page).to_have_url(re.compile(r"#/admin/namespaces$"))
        expect(page.locator("#notice")).to_have_text("1 of 1 namespaces imported.")
        expect(page.locator(f'#namespaces-body tr[data-namespace="{third}"]')).to_be_visible()
        assert in_glance(glance, third)["display_name"] == "Panel test"
        page.goto(page.url.split("#")[0] + "#/admin/namespaces/import")
        expect(form.get_by_label("Public")).to_be_enabled()
    finally:
        for name in (first, second, third):
            remove_from_glance(glance, name)


@pytest.fixture
def orphan_setup(stack):
    """Two projects made through Keystone's API, one image each (the admin
    sets the owner); the images and what is left of the projects are removed."""
    glance = stack.glance("admin")
    tag = unique("orphans")
    made = {}
    for role in ("doomed", "kept"):
        project = stack.create_project(f"{tag}-{role}")
        image = glance.images.create(name=f"{tag}-{role}-image", disk_format="raw",
                                     container_format="bare", owner=project["id"])
        made[role] = (project, image.id)
    yield tag, made
    for project, image_id in made.values():
        glance.images.delete(image_id)
        stack.delete_project(project["id"])


def test_every_projects_images_with_project_and_orphaned_filters(
        panel, panel_server, stack, orphan_setup):
    tag, made = orphan_setup
    (doomed, doomed_image), (kept, kept_image) = made["doomed"], made["kept"]
    page = panel("admin")
    filters = page.locator("#admin-filter-form")
    page.get_by_role("link", name="All projects' images").click()
    expect(page.locator("#admin-images-view")).to_be_visible()
    # The project filter offers Keystone's projects by name.
    expect(page.locator(f'#admin-filter-project option[value="{kept["id"]}"]')).to_have_text(kept["name"])
    filters.get_by_label("Project", exact=True).select_option(label=kept["name"])
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(f"project={kept['id']}"))
    rows = page.locator("#admin-images-body tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", kept_image)
    expect(rows.first.locator('td[data-label="Project"]')).to_have_text(kept["name"])

    # Every project's, by name: both images, each with its project's name.
    filters.get_by_label("Project", exact=True).select_option("")
    filters.get_by_label("Name (exact)").fill(f"in:{tag}-doomed-image,{tag}-kept-image")
    filters.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator('td[data-label="Project"]')).to_have_text(doomed["name"])
    expect(rows.nth(1).locator('td[data-label="Project"]')).to_have_text(kept["name"])

    # The project is deleted meanwhile: the orphaned filter finds its image and
    # not the other (among this test's own images: others' leftovers do not count).
    stack.delete_project(doomed["id"])
    filters.get_by_label("Only images of deleted projects").check()
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"#/admin/images\?name=[^&]+&orphaned=true$"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", doomed_image)
    expect(rows.first.locator('td[data-label="Project"]')).to_have_text(
        f"{doomed['id']} (no such project)")

    # The image opens in the image view, where the administrator edits it and
    # updates its metadata, as Horizon's admin panel does for any project's image.
    rows.first.get_by_role("link").click()
    expect(page.locator('#detail-facts [data-fact="ID"]')).to_have_text(doomed_image)
    page.locator("#edit-form").get_by_label("Name", exact=True).fill(f"{tag}-renamed")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#detail-title")).to_have_text(f"{tag}-renamed")
    page.get_by_label("New property").fill("os_distro_note")
    page.get_by_label("Value", exact=True).fill("orphan")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Save properties").click()
    expect(page.locator("#notice")).to_have_text("Properties saved.")
    stored = stack.glance("admin").images.get(doomed_image)
    assert (stored.name, stored.os_distro_note) == (f"{tag}-renamed", "orphan")


def test_a_member_sees_no_administration(panel, panel_server):
    page = panel("demo")
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    expect(page.locator("#admin-nav")).to_be_hidden()
    for where in ("images", "namespaces", "namespaces/import", "namespaces/OS::Compute::Libvirt"):
        page.goto(f"{panel_server.url}/#/admin/{where}")
        expect(page.locator("#alert-text")).to_have_text(
            "Error 403: These views are for administrators: your roles in this project do not "
            "include admin.")
        for view in ("admin-images", "namespaces", "namespace-import", "namespace"):
            expect(page.locator(f"#{view}-view")).to_be_hidden()
    assert [url for url in asked if "/api/glance/admin/" in url] == []


@pytest.fixture(scope="module")
def demos_image(stack):
    """An image of demo's, so that the all-projects view has a row."""
    image_id = make_image(stack, "demo", None, name=unique("admin-view"))
    yield image_id
    stack.glance("demo").images.delete(image_id)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_views_readable_and_without_wcag_violations(panel, panel_server, viewport,
                                                          demos_image):
    page = panel("admin", viewport=viewport)
    kind = "desktop" if viewport is DESKTOP else "phone"
    found = {}
    views = [("namespaces", "namespaces", "#namespaces-body tr"),
             ("namespaces/OS::Compute::Libvirt", "namespace", "#contents-body tr"),
             ("images", "images", "#admin-images-body tr"),
             ("namespaces/import", "import", None)]
    for where, name, ready in views:
        page.goto(f"{panel_server.url}/#/admin/{where}")
        if ready:
            expect(page.locator(ready).first).to_be_visible()
            if name == "namespaces":  # the search, as a person narrows the table
                page.get_by_label("Search the namespaces").fill("libvirt")
                expect(page.locator("#namespace-search-count")).to_contain_text(" shown")
        else:
            page.locator("#namespace-json").fill("{oops")
            page.locator("#namespace-import-form button[type=submit]").click()
            expect(page.locator("#namespace-json-error")).to_contain_text("Not valid JSON")
        assert fits(page, viewport), (where, page.evaluate("""() => [...document.querySelectorAll('*')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap table'))
            .map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 12)"""))
        screenshot(page, f"{kind}-admin-{name}")
        found[where] = accessibility_violations(page)
    assert found == {where: [] for where, _, _ in views}
