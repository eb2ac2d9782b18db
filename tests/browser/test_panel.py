"""The images panel at / in Chromium, as its users click it, against the API
and the real stack; what Glance then holds is read directly.

The panel's API server lists 4 images a page (API_RESULT_PAGE_SIZE), so paging
is seen with a dozen images. Screenshots go to build/screenshots/ (PANEL_SCREENSHOTS
names another folder); `make screenshots` copies them into docs/.
"""

import hashlib
import json
import os
import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from glance_rest.panel import SCRIPT_MODULES
from stack.testing import ROOT, ApiServer
from tests.helpers import FileServer, make_image, unique, wait_for_status

pytestmark = [pytest.mark.stack, pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
SCREENSHOTS = Path(os.environ.get("PANEL_SCREENSHOTS", ROOT / "build" / "screenshots"))
PAGE_SIZE = 4


@pytest.fixture(scope="module")
def panel_server(stack, tmp_path_factory):
    server = ApiServer(stack, tmp_path_factory.mktemp("panel"), workers=1,
                       extra_env={"API_RESULT_PAGE_SIZE": str(PAGE_SIZE)}).start()
    yield server
    server.stop()


PAGE_FILES = {"/", "/panel/panel.css", *(f"/panel/{name}" for name in SCRIPT_MODULES)}
OPENAPI = json.loads((ROOT / "glance_rest" / "openapi.json").read_text())


def documented(method, path):
    """Whether the OpenAPI document has this operation (path templates match
    any one segment)."""
    segments = path.split("/")
    for template, operations in OPENAPI["paths"].items():
        parts = template.split("/")
        if method.lower() in operations and len(parts) == len(segments) and all(
                part == segment or (part.startswith("{") and segment)
                for part, segment in zip(parts, segments)):
            return True
    return False


@pytest.fixture
def panel(browser, panel_server, stack):
    """Opens the panel in a fresh browser context (logged in as ``user`` unless
    None). Afterwards the test fails on any uncaught script error, and on any
    request but the page's own files and documented API operations."""
    opened = []

    def open_panel(user="demo", viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        page = context.new_page()
        errors, requests_made = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests_made.append((request.method, request.url)))
        opened.append((context, errors, requests_made))
        page.goto(panel_server.url + "/")
        if user:
            log_in(page, stack, user)
        return page

    yield open_panel
    origin = urllib.parse.urlsplit(panel_server.url).netloc
    for context, errors, requests_made in opened:
        context.close()
        assert errors == []
        for method, url in requests_made:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("data", "blob"):
                continue
            assert parts.netloc == origin, url
            assert parts.path in PAGE_FILES or documented(method, parts.path), (method, url)


def log_in(page, stack, user, project=None):
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(stack.passwords[user])
    if project:
        page.get_by_label("Project (optional").fill(project)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#who-user")).to_have_text(user)
    expect(page.locator("#list-view")).to_be_visible()


def image_with_data(stack, user="demo", data=b"\x00" * 1024, **fields):
    """An active image of ``user``'s, as Glance then holds it."""
    image_id = make_image(stack, user, data, name=unique("panel"), **fields)
    return wait_for_status(stack.glance(user), image_id)


def open_image(page, panel_server, image_id):
    page.goto(f"{panel_server.url}/#/image/{image_id}")
    expect(page.locator("#detail-view")).to_be_visible()
    expect(page.locator("#detail-facts [data-fact=ID]")).to_have_text(image_id)


def fact(page, name):
    return page.locator(f'#detail-facts [data-fact="{name}"]')


def row_ids(page):
    return page.locator("#images-body tr").evaluate_all("rows => rows.map(r => r.dataset.id)")


def expect_rows(page, ids):
    """Waits until the table shows exactly these images, in this order."""
    rows = page.locator("#images-body tr[data-id]")
    expect(rows).to_have_count(len(ids))
    for at, image_id in enumerate(ids):
        expect(rows.nth(at)).to_have_attribute("data-id", image_id)


def sizes_shown(page):
    """The image sizes in the table, in bytes, top to bottom."""
    return page.locator("#images-body td[data-bytes]").evaluate_all(
        "cells => cells.map(c => Number(c.dataset.bytes))")


def tab_to(page, selector, limit=60):
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.locator(selector).evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def fits(page, viewport):
    """Nothing wider than the window: no sideways scrolling of the page."""
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --- logging in -----------------------------------------------------------------
def test_page_is_served_self_contained(panel_server):
    answer = requests.get(panel_server.url + "/", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "csrftoken" in answer.cookies
    # Nothing from anywhere but this origin.
    assert not re.search(r'(src|href)="(https?:)?//', answer.text)
    for asset in ("/panel/main.js", "/panel/detail.js", "/panel/panel.css"):
        assert requests.get(panel_server.url + asset, timeout=30).status_code == 200
    assert requests.get(panel_server.url + "/panel/nothing.js", timeout=30).status_code == 404
    # Every module is fetched at once (none waits for the one importing it).
    preloaded = re.findall(r'<link rel="modulepreload" href="/panel/([\w.]+)\?v=\w+">', answer.text)
    assert sorted(preloaded) == sorted(set(SCRIPT_MODULES) - {"main.js"})
    # The page is revalidated on every load; the files it names carry the
    # release's version, and are kept by the browser for good.
    assert answer.headers["Cache-Control"] == "no-cache"
    versions = set(re.findall(r'"/panel/[\w.]+\?v=(\w+)"', answer.text))
    assert len(versions) == 1
    version = versions.pop()
    kept = requests.get(f"{panel_server.url}/panel/main.js?v={version}", timeout=30)
    assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert set(re.findall(r'from "\./[\w.]+\?v=(\w+)"', kept.text)) == {version}
    stale = requests.get(f"{panel_server.url}/panel/main.js?v=older", timeout=30)
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"


def test_log_in_shows_user_and_project_and_log_out(panel, stack):
    page = panel(user=None)
    expect(page.locator("#login-view")).to_be_visible()
    page.get_by_label("User name").fill("demo")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#alert-text")).to_have_text(
        "Error 401: Invalid username, password or domain.")
    log_in(page, stack, "demo")
    expect(page.locator("#who-project")).to_have_text("demo")
    expect(page.locator("#alert")).to_be_hidden()
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#login-view")).to_be_visible()
    page.reload()
    expect(page.locator("#login-view")).to_be_visible()


def test_switch_project_from_the_header_menu(panel, stack, two_projects_user):
    """A user with two projects switches in one click (no password); the list
    then shows the other project's images. A one-project user has no menu."""
    one_project = panel("demo")
    expect(one_project.locator("#who-project")).to_have_text("demo")
    expect(one_project.locator("#project-switch")).to_be_hidden()

    name, password = two_projects_user
    image = stack.glance("alt_demo").images.create(
        name=unique("switch"), disk_format="raw", container_format="bare", visibility="private")
    page = panel(None)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Project (optional").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#who-project")).to_have_text("demo")
    menu = page.get_by_label("Switch to")
    expect(menu).to_be_visible()
    expect(menu.locator("option")).to_have_text(["alt_demo", "demo"])
    expect(page.locator("#images-table")).not_to_contain_text(image.name)
    menu.select_option(label="alt_demo")
    expect(page.locator("#who-project")).to_have_text("alt_demo")
    expect(page.locator("#images-table")).to_contain_text(image.name)
    stack.glance("alt_demo").images.delete(image.id)


# --- the list ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def tagged_images(stack):
    """Ten images of demo's with one tag and sizes 100..1000 bytes (not in
    size order of creation)."""
    tag = unique("page")
    sizes = [300, 1000, 100, 700, 500, 900, 200, 800, 400, 600]
    images = [image_with_data(stack, data=b"x" * size, tags=[tag]) for size in sizes]
    return tag, images


def test_paging_forward_and_back_across_three_pages(panel, tagged_images):
    tag, images = tagged_images
    page = panel("demo")
    page.locator("#filter-form").get_by_label("Tag", exact=True).fill(tag)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#images-body tr")).to_have_count(PAGE_SIZE)
    expect(page.get_by_role("button", name="‹ Previous")).to_be_disabled()
    first = row_ids(page)
    page.get_by_role("button", name="Next ›").click()
    expect(page.locator("#page-number")).to_have_text("Page 2")
    expect(page.locator("#images-body tr")).to_have_count(PAGE_SIZE)
    second = row_ids(page)
    page.get_by_role("button", name="Next ›").click()
    expect(page.locator("#page-number")).to_have_text("Page 3")
    expect(page.locator("#images-body tr")).to_have_count(2)
    third = row_ids(page)
    expect(page.get_by_role("button", name="Next ›")).to_be_disabled()
    # Newest first, every image once.
    newest_first = [image.id for image in reversed(images)]
    assert first + second + third == newest_first
    page.get_by_role("button", name="‹ Previous").click()
    expect(page.locator("#page-number")).to_have_text("Page 2")
    expect(page.locator("#images-body tr")).to_have_count(PAGE_SIZE)
    assert row_ids(page) == second
    page.get_by_role("button", name="‹ Previous").click()
    expect(page.locator("#page-number")).to_have_text("Page 1")
    assert row_ids(page) == first
    expect(page.get_by_role("button", name="‹ Previous")).to_be_disabled()


def test_the_address_holds_the_view(panel, panel_server, tagged_images):
    """Reload, back and forward, and a pasted link show the same list page
    (filter, sort, page) and the same image."""
    tag, _ = tagged_images
    page = panel("demo")
    page.locator("#filter-form").get_by_label("Tag", exact=True).fill(tag)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#images-body tr")).to_have_count(PAGE_SIZE)
    first = row_ids(page)
    page.get_by_role("button", name="Next ›").click()
    expect(page.locator("#page-number")).to_have_text("Page 2")
    second = row_ids(page)
    assert f"tag={tag}" in page.url and "marker=" in page.url

    page.reload()
    expect(page.locator("#page-number")).to_have_text("Page 2")
    expect(page.locator("#filter-form").get_by_label("Tag", exact=True)).to_have_value(tag)
    assert row_ids(page) == second
    page.go_back()
    expect(page.locator("#page-number")).to_have_text("Page 1")
    assert row_ids(page) == first
    page.go_forward()
    expect(page.locator("#page-number")).to_have_text("Page 2")
    assert row_ids(page) == second

    pasted = panel("demo")
    pasted.goto(page.url)
    expect(pasted.locator("#page-number")).to_have_text("Page 2")
    assert row_ids(pasted) == second

    page.locator(f"#images-body tr[data-id='{second[0]}'] a").click()
    expect(page).to_have_url(re.compile(f"#/images/{second[0]}$"))
    page.reload()
    expect(page.locator("#detail-view")).to_be_visible()
    page.go_back()
    expect(page.locator("#page-number")).to_have_text("Page 2")
    assert row_ids(page) == second


def test_batch_delete_with_one_confirmation_and_each_outcome(panel, panel_server, stack):
    tag = unique("batch")
    glance = stack.glance("demo")
    plain = [make_image(stack, name=unique("batch"), tags=[tag]) for _ in range(2)]
    kept = make_image(stack, name=unique("batch-protected"), tags=[tag], protected=True)
    page = panel("demo")
    page.locator("#filter-form").get_by_label("Tag", exact=True).fill(tag)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#images-body tr")).to_have_count(3)
    delete = page.get_by_role("button", name="Delete selected")
    expect(delete).to_be_disabled()
    page.get_by_label("Select every image on this page").check()
    expect(page.locator("#batch-count")).to_have_text("3 selected")
    delete.click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    results = page.locator("#batch-results li")
    expect(results).to_have_count(3)
    texts = results.all_inner_texts()
    if sum(text.endswith(": deleted") for text in texts) != 2:
        # Whole, not cut as an assertion's message is: the API's log says what
        # Glance answered.
        pytest.fail("\n".join(texts) + "\n--- API log:\n" + panel_server.log.read_text()[-4000:])
    refused = next(text for text in texts if "not deleted" in text)
    assert refused.startswith(glance.images.get(kept).name) and "Error 403" in refused
    expect(page.locator("#images-body tr")).to_have_count(1)
    left = {image.id for image in glance.images.list(filters={"tag": [tag]})}
    assert left == {kept} and not set(plain) & left
    glance.images.update(kept, protected=False)


def test_a_row_expands_to_the_images_details(panel, stack):
    tag = unique("expand")
    image_id = make_image(stack, name=unique("expand"), tags=[tag], os_distro="cirros",
                          min_ram=256)
    page = panel("demo")
    page.locator("#filter-form").get_by_label("Tag", exact=True).fill(tag)
    page.get_by_role("button", name="Filter").click()
    name = stack.glance("demo").images.get(image_id).name
    toggle = page.get_by_role("button", name=f"Details of {name}")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    details = page.locator("#images-body tr.details")
    expect(details.locator("dd[data-fact='ID']")).to_have_text(image_id)
    expect(details.locator("dd[data-fact='os_distro']")).to_have_text("cirros")
    expect(details.locator("dd[data-fact='Min RAM (MB)']")).to_have_text("256")
    expect(details.locator("dd[data-fact='Tags']")).to_have_text(tag)
    toggle.click()
    expect(details).to_have_count(0)


def test_owner_type_and_protected_columns(panel, stack):
    """As Horizon's table shows them: the owner's project name where the user
    may know it (its own projects), else the project id."""
    tag = unique("cols")
    snapshot = make_image(stack, name=unique("snap"), tags=[tag], image_type="snapshot",
                          protected=True)
    public = make_image(stack, user="admin", name=unique("theirs"), tags=[tag],
                        visibility="public")
    page = panel("demo")
    page.locator("#filter-form").get_by_label("Tag", exact=True).fill(tag)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#images-body tr")).to_have_count(2)

    def cells(image_id):
        row = page.locator(f"#images-body tr[data-id='{image_id}']")
        return {label: row.locator(f"td[data-label='{label}']").inner_text()
                for label in ("Owner", "Type", "Protected")}

    assert cells(snapshot) == {"Owner": "demo", "Type": "Snapshot", "Protected": "Yes"}
    assert cells(public) == {"Owner": stack.project_id("admin"), "Type": "Image",
                             "Protected": "No"}
    page.locator(f"#images-body tr[data-id='{snapshot}'] a").click()
    expect(fact(page, "Owner")).to_have_text("demo")
    page.reload()
    expect(fact(page, "Owner")).to_have_text("demo")
    stack.glance("demo").images.update(snapshot, protected=False)


def test_sort_by_size_and_filter_by_name_and_tag(panel, tagged_images):
    tag, images = tagged_images
    page = panel("demo")
    page.locator("#filter-form").get_by_label("Tag", exact=True).fill(tag)
    page.get_by_role("button", name="Filter").click()
    size_header = page.locator("#images-table th[data-sort=size]")
    size_header.get_by_role("button").click()
    expect(size_header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#images-body tr td[data-label='Size']").first).to_have_text("100 B")
    assert sizes_shown(page) == [100, 200, 300, 400]
    size_header.get_by_role("button").click()
    expect(size_header).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#images-body tr td[data-label='Size']").first).to_have_text("1000 B")
    assert sizes_shown(page) == [1000, 900, 800, 700]
    # By name (exact, as Glance filters), the tag filter still on.
    page.locator("#filter-form").get_by_label("Name (exact)").fill(images[3].name)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#images-body tr")).to_have_count(1)
    assert row_ids(page) == [images[3].id]
    page.locator("#filter-form").get_by_label("Tag", exact=True).fill(unique("no-such-tag"))
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#images-empty")).to_be_visible()


def test_search_facets_protected_format_size_and_the_pages_text(panel, stack):
    """Horizon's facets: protected, disk format, minimum and maximum size are
    Glance's filters (asked of the API); the free text searches the shown rows."""
    tag = unique("facets")
    small = image_with_data(stack, data=b"x" * 100, tags=[tag], protected=True)
    middle = image_with_data(stack, data=b"x" * 300, tags=[tag], disk_format="ami",
                             container_format="ami")
    large = image_with_data(stack, data=b"x" * 1000, tags=[tag])
    page = panel("demo")
    filters = page.locator("#filter-form")
    filters.get_by_label("Tag", exact=True).fill(tag)
    filters.get_by_label("Protected").select_option(label="yes")
    with page.expect_request(lambda request: "protected=true" in request.url):
        page.get_by_role("button", name="Filter").click()
    expect_rows(page, [small.id])

    filters.get_by_label("Protected").select_option(label="any")
    filters.get_by_label("Disk format").select_option("ami")
    page.get_by_role("button", name="Filter").click()
    expect_rows(page, [middle.id])
    page.reload()   # the facets are in the address
    expect(filters.get_by_label("Disk format")).to_have_value("ami")
    expect_rows(page, [middle.id])

    filters.get_by_label("Disk format").select_option(label="any")
    filters.get_by_label("Min size (bytes)").fill("200")
    filters.get_by_label("Max size (bytes)").fill("999")
    with page.expect_request(lambda request: "size_min=200" in request.url
                             and "size_max=999" in request.url):
        page.get_by_role("button", name="Filter").click()
    expect_rows(page, [middle.id])
    page.reload()
    expect(filters.get_by_label("Min size (bytes)")).to_have_value("200")
    expect(page.locator("#images-body tr")).to_have_count(1)

    # The text search: only the rows shown, nothing asked of the API.
    filters.get_by_label("Min size (bytes)").fill("")
    filters.get_by_label("Max size (bytes)").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#images-body tr")).to_have_count(3)
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.get_by_label("Search the rows on this page").fill(large.name[-8:].upper())
    expect(page.locator("#images-body tr:not([hidden])")).to_have_count(1)
    assert page.locator("#images-body tr:not([hidden])").get_attribute("data-id") == large.id
    expect(page.locator("#page-search-count")).to_have_text("1 of 3 rows on this page match.")
    assert asked == []
    page.get_by_label("Select every image on this page").check()
    expect(page.locator("#batch-count")).to_have_text("1 selected")
    page.get_by_label("Search the rows on this page").fill("")
    expect(page.locator("#images-body tr:not([hidden])")).to_have_count(3)
    stack.glance("demo").images.update(small.id, protected=False)


# --- create -----------------------------------------------------------------------
def choose_file(page, data):
    """Chooses one file, disk.raw, on the create form's file input."""
    page.set_input_files("#create-file", files=[
        {"name": "disk.raw", "mimeType": "application/octet-stream", "buffer": data}])


def fill_create_form(page, name, disk_format="raw"):
    form = page.locator("#create-form")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Disk format").select_option(disk_format)


def test_upload_shows_progress_to_100_and_the_image_becomes_active(panel, stack):
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    expect(page.locator("#create-view")).to_be_visible()
    # Formats and stores come from GET /api/glance/info/.
    info = stack.glance("demo").http_client.get("/v2/info/stores")[1]
    offered = page.locator("#create-store option").evaluate_all("os => os.map(o => o.value)")
    assert offered == [store["id"] for store in info["stores"]] == ["local", "archive"]
    expect(page.locator("#create-form").get_by_label("Store", exact=True)).to_have_value("local")
    data = os.urandom(6 * 1024 * 1024)
    name = unique("upload")
    choose_file(page, data)
    fill_create_form(page, name)
    page.locator("#create-form").get_by_label("Store", exact=True).select_option("archive")
    page.evaluate("""() => {
        const bar = document.querySelector("#queue li progress");
        window.seenProgress = [];
        new MutationObserver(() => seenProgress.push(Number(bar.value)))
            .observe(bar, {attributes: true});
    }""")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#detail-title")).to_have_text(name, timeout=60_000)
    expect(fact(page, "Status")).to_have_text("active")
    seen = page.evaluate("seenProgress")
    assert seen[-1] == 100 and seen == sorted(seen)
    image_id = fact(page, "ID").inner_text()
    stored = stack.glance("demo").images.get(image_id)
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()
    assert stored.stores == "archive"
    expect(page.locator("#stores-list li")).to_have_text(["archive Remove from archive"])


def test_stage_and_import_with_glance_direct(panel, stack):
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    data = os.urandom(512 * 1024)
    choose_file(page, data)
    page.get_by_label("How to send them").select_option("glance-direct")
    name = unique("staged")
    fill_create_form(page, name)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#detail-title")).to_have_text(name)
    task = page.locator("#tasks-body tr").first
    expect(task.locator("td").nth(1)).to_have_text("success", timeout=60_000)
    expect(fact(page, "Status")).to_have_text("active")
    stored = stack.glance("demo").images.get(fact(page, "ID").inner_text())
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()
    assert stored.stores == "local"


def test_cancel_stops_the_upload_and_removes_the_new_image(panel, stack):
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    name = unique("cancelled")
    choose_file(page, b"\x00" * (4 * 1024 * 1024))
    fill_create_form(page, name)
    # A slow line, so that the upload is still running when Cancel is pressed.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 256 * 1024})
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#queue .queue-percent")).to_have_text(re.compile(r"^[1-9]\d?%$"))
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.locator("#alert-text")).to_have_text("The upload was cancelled.")
    expect(page.locator("#alert-help")).to_contain_text("The new image was removed.")
    expect(page.locator("#queue li .queue-status")).to_have_text("cancelled")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert list(stack.glance("demo").images.list(filters={"name": name})) == []


def pattern_bytes(size, seed):
    """The bytes drop_files() makes in the page for (size, seed)."""
    return bytes((index * seed + seed) % 251 for index in range(size))


def drop_files(page, files):
    """Drops files ({name: (size, seed)}) on the create form, as a person
    dragging them from a file manager does."""
    transfer = page.evaluate_handle("""(files) => {
        const transfer = new DataTransfer();
        for (const [name, [size, seed]] of Object.entries(files)) {
            const data = new Uint8Array(size).map((_, index) => (index * seed + seed) % 251);
            transfer.items.add(new File([data], name, {type: "application/octet-stream"}));
        }
        return transfer;
    }""", files)
    page.dispatch_event("#create-form", "dragover", {"dataTransfer": transfer})
    expect(page.locator("#drop-zone")).to_have_class(re.compile(r"\bover\b"))
    page.dispatch_event("#create-form", "drop", {"dataTransfer": transfer})


def test_dropped_files_queue_each_with_progress_speed_time_left_and_cancel(panel, stack):
    """Four files dropped: each becomes an image of its own, sent one after
    another; the one sending shows its speed and time left; one is cancelled
    while it waits, one while it is sent (its image removed)."""
    prefix = unique("queue")
    sizes = {"a": (1024 * 1024, 3), "b": (256 * 1024, 5), "c": (1024 * 1024, 7),
             "d": (64 * 1024, 11)}
    files = {f"{prefix}-{key}.raw": spec for key, spec in sizes.items()}
    names = list(files)
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    expect(page.locator("#create-store option").first).to_be_attached()
    drop_files(page, files)
    rows = page.locator("#queue li")
    expect(rows).to_have_count(4)
    expect(rows.locator(".queue-status")).to_have_text(["waiting"] * 4)
    page.locator("#create-form").get_by_label("Disk format").select_option("raw")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 384 * 1024})
    page.get_by_role("button", name="Create", exact=True).click()

    first = page.locator(f"#queue li[data-file='{names[0]}']")
    expect(first.locator(".queue-status")).to_have_text("sending")
    expect(first.locator(".queue-rate")).to_have_text(
        re.compile(r"^\d+(\.\d)? (B|KiB|MiB)/s · \d+ s left$"))
    page.get_by_role("button", name=f"Cancel {names[1]}").click()
    second = page.locator(f"#queue li[data-file='{names[1]}']")
    expect(second.locator(".queue-status")).to_have_text("cancelled")
    third = page.locator(f"#queue li[data-file='{names[2]}']")
    expect(third.locator(".queue-percent")).to_have_text(re.compile(r"^[1-9]\d?%$"), timeout=30_000)
    page.get_by_role("button", name=f"Cancel {names[2]}").click()
    expect(third.locator(".queue-status")).to_have_text("cancelled")
    last = page.locator(f"#queue li[data-file='{names[3]}']")
    expect(last.locator(".queue-status")).to_have_text(f"created: {names[3]}", timeout=30_000)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    expect(first.locator(".queue-status")).to_have_text(f"created: {names[0]}")
    expect(first.locator(".queue-percent")).to_have_text("100%")
    expect(page.locator("#notice")).to_have_text("2 of 4 images created.")

    glance = stack.glance("demo")
    for name in names:
        found = list(glance.images.list(filters={"name": name}))
        if name in (names[0], names[3]):
            assert len(found) == 1 and found[0].status == "active"
            assert found[0].os_hash_value == hashlib.sha512(pattern_bytes(*files[name])).hexdigest()
        else:
            assert found == [], name
    last.get_by_role("link", name=names[3]).click()
    expect(page.locator("#detail-title")).to_have_text(names[3])


def test_a_failed_file_is_sent_again_by_the_next_create(panel, stack):
    """Nothing is lost on failure: the form and the file stay; Create sends it
    again with the form as corrected."""
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    expect(page.locator("#create-store option").first).to_be_attached()
    data = os.urandom(8 * 1024)
    choose_file(page, data)
    name = unique("again")
    fill_create_form(page, name)
    min_disk = page.locator("#create-form").get_by_label("Minimum disk (GB)")
    min_disk.fill(str(2**31))   # more than Glance keeps
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#alert-text")).to_have_text(re.compile(r"^Error 400: min_disk: "))
    expect(page.locator("#queue li .queue-status")).to_contain_text("failed: min_disk")
    expect(page.locator("#create-form").get_by_label("Name", exact=True)).to_have_value(name)
    assert list(stack.glance("demo").images.list(filters={"name": name})) == []
    min_disk.fill("1")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#detail-title")).to_have_text(name, timeout=60_000)
    stored = stack.glance("demo").images.get(fact(page, "ID").inner_text())
    assert stored.min_disk == 1 and stored.os_hash_value == hashlib.sha512(data).hexdigest()


def test_the_metadata_step_sets_properties_on_the_new_image(panel, stack):
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    expect(page.locator("#create-store option").first).to_be_attached()
    choose_file(page, b"\x00" * 4096)
    name = unique("metadata")
    fill_create_form(page, name)
    step = page.locator("#create-metadata")
    # Offered from Glance's metadata definitions, with what they say.
    expect(page.locator('#property-suggestions option[value="hw_disk_bus"]')).to_have_count(1)
    step.get_by_label("Property", exact=True).fill("hw_disk_bus")
    expect(page.locator("#metadata-hint")).to_contain_text("Disk Bus")
    expect(page.locator('#property-values option[value="scsi"]')).to_have_count(1)
    step.get_by_label("Property value").fill("scsi")
    step.get_by_role("button", name="Add", exact=True).click()
    step.get_by_label("Property", exact=True).fill("os_distro")
    step.get_by_label("Property value").fill("cirros")
    step.get_by_label("Property value").press("Enter")   # adds; does not send the form
    step.get_by_label("Property", exact=True).fill("my_note")
    step.get_by_label("Property value").fill("dropped")
    step.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#metadata-body tr")).to_have_count(3)
    step.get_by_role("button", name="Remove my_note").click()
    expect(page.locator("#metadata-body tr th")).to_have_text(["hw_disk_bus", "os_distro"])
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#detail-title")).to_have_text(name, timeout=60_000)
    stored = stack.glance("demo").images.get(fact(page, "ID").inner_text())
    assert stored.hw_disk_bus == "scsi" and stored.os_distro == "cirros"
    assert "my_note" not in stored


def open_file_chooser(page):
    """The focused file input's chooser, opened with the keyboard. Headless
    Chromium now and then lets a key go by without opening it: then another."""
    for key in ("Space", "Enter", "Space", "Enter"):
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press(key)
            return chooser.value
        except PlaywrightTimeoutError:
            continue
    raise AssertionError("the file input opens no chooser from the keyboard")


def test_keyboard_only_login_and_upload(panel, stack):
    page = panel(user=None)
    tab_to(page, "#login-username")
    page.keyboard.type("demo")
    tab_to(page, "#login-password")
    page.keyboard.type(stack.passwords["demo"])
    page.keyboard.press("Enter")
    expect(page.locator("#who-user")).to_have_text("demo")
    tab_to(page, "#create-link")
    page.keyboard.press("Enter")
    expect(page.locator("#create-store option").first).to_be_attached()
    data = os.urandom(64 * 1024)
    tab_to(page, "#create-file")
    chooser = open_file_chooser(page)
    chooser.set_files(files=[
        {"name": "disk.raw", "mimeType": "application/octet-stream", "buffer": data}])
    name = unique("keys")
    tab_to(page, "#create-name")
    page.keyboard.type(name)
    tab_to(page, "#create-disk-format")
    page.keyboard.type("raw")
    expect(page.locator("#create-disk-format")).to_have_value("raw")
    tab_to(page, "#create-submit")
    page.keyboard.press("Enter")
    expect(page.locator("#detail-title")).to_have_text(name, timeout=60_000)
    expect(fact(page, "Status")).to_have_text("active")
    stored = stack.glance("demo").images.get(fact(page, "ID").inner_text())
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()


def test_import_by_url_shows_the_task(panel, stack, tmp_path):
    data = os.urandom(256 * 1024)
    (tmp_path / "disk.raw").write_bytes(data)
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    with FileServer(tmp_path, stack.import_port) as server:
        page.get_by_label("A URL (Glance downloads it)").check()
        page.get_by_label("URL", exact=True).fill(server.url("disk.raw"))
        name = unique("from-url")
        fill_create_form(page, name)
        page.get_by_role("button", name="Create", exact=True).click()
        expect(page.locator("#detail-title")).to_have_text(name)
        # Refreshed by the page itself while the import runs.
        task = page.locator("#tasks-body tr").first
        expect(task.locator("td").nth(1)).to_have_text("success", timeout=60_000)
        expect(task.locator("td").first).to_have_text("api_image_import")
        expect(fact(page, "Status")).to_have_text("active", timeout=30_000)
    stored = stack.glance("demo").images.get(fact(page, "ID").inner_text())
    assert stored.os_hash_value == hashlib.sha512(data).hexdigest()


def test_a_failed_url_import_shows_glances_message(panel, stack):
    page = panel("demo")
    page.get_by_role("link", name="Create image").click()
    page.get_by_label("A URL (Glance downloads it)").check()
    # Outside what the stack's Glance may download from.
    page.get_by_label("URL", exact=True).fill("http://192.0.2.1/disk.raw")
    name = unique("refused-url")
    fill_create_form(page, name)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#alert-text")).to_have_text(re.compile(r"^Error 400: .+"))
    expect(page.locator("#alert-help")).to_contain_text("The new image was removed.")
    assert list(stack.glance("demo").images.list(filters={"name": name})) == []


# --- one image ----------------------------------------------------------------------
def test_edit_a_field_a_custom_property_and_tags(panel, panel_server, stack):
    image = image_with_data(stack, os_distro="cirros")
    page = panel("demo")
    open_image(page, panel_server, image.id)
    new_name = unique("renamed")
    edit = page.locator("#edit-form")
    edit.get_by_label("Name", exact=True).fill(new_name)
    edit.get_by_label("Minimum RAM (MB)").fill("512")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#detail-title")).to_have_text(new_name)
    stored = stack.glance("demo").images.get(image.id)
    assert stored.name == new_name and stored.min_ram == 512

    # Properties: change one, add one offered by the metadata definitions
    # (fetched once the image shows: a wait, not a count taken at once).
    expect(page.locator('#property-suggestions option[value="hw_disk_bus"]')).to_have_count(1)
    page.get_by_label("os_distro", exact=True).fill("ubuntu")
    page.get_by_label("New property").fill("hw_disk_bus")
    expect(page.locator("#property-hint")).to_contain_text("Disk Bus")
    page.get_by_label("Value", exact=True).fill("scsi")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Save properties").click()
    expect(page.locator("#notice")).to_have_text("Properties saved.")
    stored = stack.glance("demo").images.get(image.id)
    assert stored.os_distro == "ubuntu" and stored.hw_disk_bus == "scsi"
    page.get_by_role("button", name="Remove property hw_disk_bus").click()
    page.get_by_role("button", name="Save properties").click()
    expect(page.get_by_label("hw_disk_bus", exact=True)).to_have_count(0)
    assert "hw_disk_bus" not in stack.glance("demo").images.get(image.id)

    # Tags, one at a time.
    page.get_by_label("New tag").fill("blue")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("#tags-list li")).to_have_text(["blue×"])
    assert stack.glance("demo").images.get(image.id).tags == ["blue"]
    page.get_by_role("button", name="Remove tag blue").click()
    expect(page.locator("#tags-list li")).to_have_count(0)
    assert stack.glance("demo").images.get(image.id).tags == []


def test_copy_as_curl_download_and_the_last_change(panel, panel_server, stack, tokens, tmp_path):
    """The commands shown work as written in a shell with $TOKEN set."""
    data = os.urandom(20 * 1024)
    image = image_with_data(stack, data=data)
    page = panel("demo")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_image(page, panel_server, image.id)
    expect(page.locator("#curl-no-change")).to_be_visible()
    page.locator("#edit-form").get_by_label("Minimum RAM (MB)").fill("768")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#notice")).to_have_text("Saved: min_ram.")
    change = page.get_by_label("The last change made to it from this page")
    expect(change).to_have_value(re.compile(r"-X PATCH .*min_ram"))
    glance = stack.glance("demo")
    glance.images.update(image.id, min_ram=0)

    def shell(command):
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True,
                              env={**os.environ, "TOKEN": tokens("demo")}, timeout=60)
        assert done.returncode == 0, done.stderr

    shell(change.input_value())
    assert glance.images.get(image.id).min_ram == 768
    shell(page.get_by_label("Download its data").input_value())
    assert (tmp_path / image.name).read_bytes() == data

    page.get_by_label("New tag").fill("curl-me")
    page.get_by_role("button", name="Add tag").click()
    expect(change).to_have_value(re.compile(r"-X PUT .*/tags/curl-me/'$"))
    page.get_by_role("button", name="Copy the last change's command").click()
    expect(page.locator("#notice")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == change.input_value()
    assert "$TOKEN" in change.input_value() and tokens("demo") not in change.input_value()


def test_share_then_accept_as_the_other_project(panel, panel_server, stack):
    image = image_with_data(stack, visibility="shared")
    alt_project = stack.project_id("alt_demo")
    owner = panel("demo")
    open_image(owner, panel_server, image.id)
    owner.get_by_label("Share with project id").fill(alt_project)
    owner.get_by_role("button", name="Share", exact=True).click()
    member_row = owner.locator(f'#members-body tr[data-member="{alt_project}"]')
    expect(member_row.locator("td").nth(1)).to_have_text("pending")

    member = panel("alt_demo")
    member.locator("#filter-form").get_by_label("Name (exact)").fill(image.name)
    member.get_by_role("button", name="Filter").click()
    expect(member.locator("#images-empty")).to_be_visible()   # not accepted: not listed
    member.get_by_role("tab", name="Shared with me (pending)").click()
    expect(member.locator("#images-body tr")).to_have_count(1)
    member.get_by_role("link", name=image.name).click()
    expect(member.locator("#my-member-status")).to_have_text("pending")
    member.get_by_role("button", name="Accept").click()
    expect(member.locator("#my-member-status")).to_have_text("accepted")
    member.go_back()  # to the list as it was: the name filter, the pending tab
    member.get_by_role("tab", name="All").click()
    expect(member.locator("#images-body tr")).to_have_count(1)
    assert row_ids(member) == [image.id]

    owner.reload()
    expect(member_row.locator("td").nth(1)).to_have_text("accepted")
    owner.get_by_role("button", name=f"Stop sharing with {alt_project}").click()
    expect(member_row).to_have_count(0)


def test_copy_to_a_second_store_refused_for_a_member_done_by_an_admin(
        panel, panel_server, stack, tokens):
    image = image_with_data(stack)
    page = panel("demo")
    open_image(page, panel_server, image.id)
    expect(page.get_by_label("Copy to store")).to_have_value("archive")
    page.get_by_role("button", name="Copy", exact=True).click()
    # Exactly the message the API gives for the same call.
    refused = requests.post(f"{panel_server.url}/api/glance/images/{image.id}/import/",
                            json={"method": "copy-image", "stores": ["archive"]},
                            headers={"X-Auth-Token": tokens("demo")}, timeout=30)
    assert refused.status_code == 403
    expect(page.locator("#alert-text")).to_have_text(
        f"Error 403: {refused.json()['error']['message']}")
    expect(page.locator("#alert-help")).to_contain_text("for administrators")

    admin = panel("admin")
    open_image(admin, panel_server, image.id)
    admin.get_by_role("button", name="Copy", exact=True).click()
    expect(admin.locator("#stores-list li")).to_have_count(2, timeout=60_000)
    expect(admin.locator("#tasks-body tr").first.locator("td").nth(1)).to_have_text(
        "success", timeout=30_000)
    assert set(stack.glance("demo").images.get(image.id).stores.split(",")) == {"local", "archive"}
    admin.get_by_role("button", name="Remove from local").click()
    admin.locator("#confirm-dialog").get_by_role("button", name="Remove").click()
    expect(admin.locator("#stores-list li")).to_have_text(["archive Remove from archive"])
    assert stack.glance("demo").images.get(image.id).stores == "archive"


def test_deactivate_reactivate_download_and_delete(panel, panel_server, stack):
    data = os.urandom(300 * 1024)
    image = image_with_data(stack, data=data)
    page = panel("demo")
    open_image(page, panel_server, image.id)
    page.get_by_role("button", name="Deactivate").click()
    expect(fact(page, "Status")).to_have_text("deactivated")
    assert stack.glance("demo").images.get(image.id).status == "deactivated"
    expect(page.get_by_role("button", name="Download", exact=True)).to_be_disabled()
    page.get_by_role("button", name="Reactivate").click()
    expect(fact(page, "Status")).to_have_text("active")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download", exact=True).click()
    assert Path(download.value.path()).read_bytes() == data
    assert download.value.suggested_filename == image.name

    page.get_by_role("button", name="Delete").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text(image.name)
    dialog.get_by_role("button", name="Cancel").click()
    assert stack.glance("demo").images.get(image.id).status == "active"
    page.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(page.locator("#list-view")).to_be_visible()
    expect(page.locator("#notice")).to_have_text(f"Image {image.name} deleted.")
    assert list(stack.glance("demo").images.list(filters={"id": image.id})) == []


def test_a_refused_edit_shows_the_apis_message(panel, panel_server, stack):
    image = image_with_data(stack, protected=True)
    page = panel("demo")
    open_image(page, panel_server, image.id)
    page.get_by_role("button", name="Delete").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#alert-text")).to_have_text(re.compile(r"^Error 403: .*protected"))
    expect(page.locator("#detail-view")).to_be_visible()
    stack.glance("demo").images.update(image.id, protected=False)


# --- how it looks -----------------------------------------------------------------------
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_readable_at_desktop_and_phone_width(panel, panel_server, stack, tagged_images, viewport):
    tag, images = tagged_images
    page = panel("demo", viewport=viewport)
    kind = "desktop" if viewport is DESKTOP else "phone"
    expect(page.locator("#images-body tr").first).to_be_visible()
    assert fits(page, viewport)
    screenshot(page, f"{kind}-list")
    open_image(page, panel_server, images[0].id)
    expect(page.locator("#tasks-body tr").first).to_be_visible()
    assert fits(page, viewport)
    screenshot(page, f"{kind}-image")
    page.goto(panel_server.url + "/#/create")
    expect(page.locator("#create-store option").first).to_be_attached()
    assert fits(page, viewport)
    screenshot(page, f"{kind}-create")


WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def accessibility_violations(page):
    """axe-core's WCAG 2.1 A and AA violations on the page as it is, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_A_AA}})
    # No rule that passed means axe checked nothing: no answer, not a clean page.
    assert results.response["passes"], f"axe-core checked nothing on {page.url}"
    return [f"{violation['id']}: {violation['help']} at "
            + ", ".join(str(node["target"]) for node in violation["nodes"])
            for violation in results.response["violations"]]


def test_no_wcag_21_a_or_aa_violation_on_login_list_detail_and_create(
        panel, panel_server, stack, tagged_images):
    _, images = tagged_images
    page = panel(user=None)
    expect(page.locator("#login-view")).to_be_visible()
    found = {"login": accessibility_violations(page)}
    log_in(page, stack, "demo")
    expect(page.locator("#images-body tr").first).to_be_visible()
    page.locator("#images-body button.expand").first.click()   # a row's details open too
    found["list"] = accessibility_violations(page)
    open_image(page, panel_server, images[0].id)
    expect(page.locator("#tasks-body tr").first).to_be_visible()
    found["detail"] = accessibility_violations(page)
    page.goto(panel_server.url + "/#/create")
    expect(page.locator("#create-store option").first).to_be_attached()
    choose_file(page, b"\x00")
    expect(page.locator("#queue li")).to_have_count(1)
    found["create"] = accessibility_violations(page)
    assert found == {"login": [], "list": [], "detail": [], "create": []}


def test_panel_urls_answer_errors_as_json(panel_server):
    posted = requests.post(panel_server.url + "/", timeout=30)
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET, HEAD"
    assert posted.json()["error"]["code"] == "method_not_allowed"
    missing = requests.get(panel_server.url + "/panel/nothing.js", timeout=30)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
