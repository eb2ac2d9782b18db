"""The administrator's side, measured on one stack in one run (part of make
bench; alone: make bench-admin):

1. **Import.** Every metadefs file Glance ships (etc/glance/metadefs/*.json,
   what the stack loads), imported through the API with an admin's
   X-Auth-Token, in one call (`POST /api/glance/metadefs/import/`) and one
   call per file (`POST /api/glance/metadefs/namespaces/`), against the same
   documents through python-glanceclient directly (`metadefs_namespace.create`,
   one after another), round by round, alternating, each round under its own
   name prefix (the files' namespaces are loaded already) and deleted again
   untimed. Target: the API at most the client's time.
2. **Every project's images.** 1,000 images over 50 projects (made through
   Keystone's API; the admin sets each image's owner). One browser logged in
   as admin to this panel and to a stock Horizon of the newest release
   alternates between this panel's `#/admin/images` and Horizon's *Admin >
   Images* (`/admin/images/`, its AngularJS table by default), timing navigation to the
   first real row, as bench/panel.py does. Target: at most a third of
   Horizon's time.
3. **Orphans** (bench/orphans.py, which make bench-admin runs next): the
   orphaned filter over 20,000 images against listing everything by hand.

Prints both and writes bench-results/admin.json.

    python -m bench.admin [--rounds 7] [--images 1000] [--projects 50]
"""

import argparse
import concurrent.futures
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.panel import VIEWPORT, first_row_ms  # noqa: E402
from stack.testing import (  # noqa: E402
    ApiServer, HorizonServer, StackProcess, free_port, shipped_metadefs,
)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

USER = "admin"
PANEL_ROW = "#admin-images-body tr[data-id]"
# Horizon's Admin > Images is its AngularJS images table by default (ANGULAR_FEATURES).
HORIZON_ROW = "table tbody a[href*='ngdetails']"


def renamed(documents, prefix):
    return [{**document, "namespace": f"{prefix}::{document['namespace']}"}
            for document in documents]


def import_rounds(stack, api, rounds):
    """Seconds per round of importing every shipped file: through the API, and
    through glanceclient directly."""
    documents = shipped_metadefs()
    glance = stack.glance(USER)
    token = stack.token(USER)
    http = requests.Session()
    http.headers.update({"X-Auth-Token": token, "Content-Type": "application/json"})
    url = api.url + "/api/glance/metadefs/namespaces/"

    def through_api(batch):
        for document in batch:
            answer = http.post(url, data=json.dumps(document), timeout=120)
            assert answer.status_code == 201, answer.text

    def through_api_batch(batch):
        answer = http.post(api.url + "/api/glance/metadefs/import/",
                           data=json.dumps({"namespaces": batch}), timeout=600)
        assert answer.status_code == 200, answer.text
        assert {item["status"] for item in answer.json()["items"]} == {201}, answer.text

    def direct(batch):
        for document in batch:
            glance.metadefs_namespace.create(**document)

    def clean(batch):
        for document in batch:
            if document.get("protected"):
                glance.metadefs_namespace.update(document["namespace"], protected=False)
            glance.metadefs_namespace.delete(document["namespace"])

    ways = {"api_batch": through_api_batch, "api": through_api, "glanceclient": direct}
    times = {name: [] for name in ways}
    for number in range(rounds + 1):  # the first round warms both, untimed
        names = list(ways)
        for name in names[number % 3:] + names[:number % 3]:  # each goes first in turn
            way = ways[name]
            batch = renamed(documents, f"B{number}{name[-1]}")
            start = time.perf_counter()
            way(batch)
            elapsed = time.perf_counter() - start
            clean(batch)
            if number:
                times[name].append(elapsed)
    return len(documents), times


def seed_projects_and_images(stack, projects, images):
    """``projects`` projects through Keystone's API, and ``images`` images
    spread over them (their owner set by the admin)."""
    made = [stack.create_project(f"bench-project-{n:03d}")["id"] for n in range(projects)]
    glance = stack.glance(USER)

    def create(n):
        glance.images.create(name=f"bench-{n:05d}", disk_format="qcow2", container_format="bare",
                             visibility="private", owner=made[n % projects], min_disk=n % 20,
                             tags=[f"t{n % 7}", "bench"], os_distro="cirros")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(images)))


def log_in_panel(page, api, password):
    page.goto(api.url + "/")
    page.fill("#login-username", USER)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#admin-nav:not([hidden])", timeout=60000)


def log_in_horizon(page, horizon, password):
    page.goto(f"{horizon.url}auth/login/?next={horizon.webroot}admin/images/")
    page.fill("#id_username", USER)
    page.fill("#id_password", password)
    page.click("#loginBtn")
    page.wait_for_url("**/admin/images/")


def table_rounds(stack, api, horizon, rounds):
    from playwright.sync_api import sync_playwright

    urls = {"panel": api.url + "/#/admin/images", "horizon": f"{horizon.url}admin/images/"}
    rows = {"panel": PANEL_ROW, "horizon": HORIZON_ROW}
    rests = {"panel": api.url + "/api/glance/version/",
             "horizon": f"{horizon.url}api/glance/version/"}
    password = stack.passwords[USER]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = {name: browser.new_context(viewport=VIEWPORT).new_page() for name in urls}
        log_in_panel(pages["panel"], api, password)
        log_in_horizon(pages["horizon"], horizon, password)
        for name in urls:
            pages[name].goto(rests[name])
        times = {name: [] for name in urls}
        for number in range(rounds + 2):  # two warming rounds, untimed
            for name in urls:
                elapsed = first_row_ms(pages[name], urls[name], rows[name], rests[name])
                if number >= 2:
                    times[name].append(elapsed)
        browser.close()
    return times


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--out", default=str(ROOT / "bench-results" / "admin.json"))
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-admin-"))
    stack = StackProcess(work / "stack").start()
    api = horizon = None
    summary = {"rounds": args.rounds}
    try:
        api = ApiServer(stack, work / "api").start()
        print("Importing Glance's shipped metadefs, through the API and directly ...", flush=True)
        files, times = import_rounds(stack, api, args.rounds)
        batch, each, direct = (statistics.median(times[name])
                               for name in ("api_batch", "api", "glanceclient"))
        summary["import"] = {"files": files, "api_batch_s": batch, "api_each_s": each,
                             "glanceclient_s": direct, "ratio": batch / direct,
                             "ratio_each": each / direct, "samples": times}
        print(f"  {files} files: API in one call {batch:.2f} s, API one call each {each:.2f} s, "
              f"glanceclient {direct:.2f} s", flush=True)

        print(f"Seeding {args.images} images over {args.projects} projects ...", flush=True)
        seed_projects_and_images(stack, args.projects, args.images)
        horizon = HorizonServer(stack, work / "horizon", mounted=False, port=free_port()).start()
        times = table_rounds(stack, api, horizon, args.rounds)
        panel, stock = (statistics.median(times[name]) for name in ("panel", "horizon"))
        summary["admin_images"] = {"images": args.images, "projects": args.projects,
                                   "panel_ms": panel, "horizon_ms": stock,
                                   "ratio": panel / stock, "samples": times}
        print(f"  every project's images: panel {panel:.0f} ms, Horizon {stock:.0f} ms, "
              f"ratio {panel / stock:.2f}", flush=True)
    finally:
        for server in (api, horizon):
            if server:
                server.stop()
        stack.stop()

    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    i, t = summary["import"], summary["admin_images"]
    print(f"\nMedian of {args.rounds} rounds:")
    print(f"  import {i['files']} metadefs files: API in one call {i['api_batch_s']:.2f} s "
          f"(ratio {i['ratio']:.2f}, target <= 1), API one call each {i['api_each_s']:.2f} s "
          f"(ratio {i['ratio_each']:.2f}), glanceclient {i['glanceclient_s']:.2f} s")
    print(f"  every project's images ({t['images']} over {t['projects']} projects), first row: "
          f"panel {t['panel_ms']:.0f} ms, Horizon {t['horizon_ms']:.0f} ms, "
          f"ratio {t['ratio']:.2f} (target <= 0.33)")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
