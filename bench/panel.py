"""This app's images panel against Horizon 27's Images panel, on one stack, in
one run, in Chromium (part of make bench; alone: make bench-panel).

For each catalogue size (20, then 1,000 images in the demo project) one
browser, logged in to both as demo, alternates between them round by round,
so that drift in the machine's speed falls on both alike, and times each from
navigation (page.goto) to the table showing its first real row. Each
navigation starts on a small page of the same site (its
`api/glance/version/`, which both serve), as for a user already in the
dashboard, and ends there once the page is quiet, so that neither works
while the other is timed:

- this panel: `/#/images`, a row of #images-body;
- Horizon's Images panel (stock Horizon 27, its own REST layer):
  `/project/images/`, a row's name link.

Prints a table with the ratio panel / Horizon and writes
bench-results/panel.json.

    python -m bench.panel [--sizes 20,1000] [--rounds 9] [--from-blank]

--from-blank starts each navigation on about:blank instead, as from a new
tab: Chromium then starts a renderer for the site, about 50 ms more for both.
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

from stack.testing import ApiServer, HorizonServer, StackProcess, free_port  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

USER = "demo"
PANEL_ROW = "#images-body tr[data-id]"
HORIZON_ROW = "table tbody a[href*='ngdetails']"
VIEWPORT = {"width": 1400, "height": 900}


def seed(stack, total, already):
    """Private images of the demo project, a few properties and tags each, as a
    project's catalogue holds them."""
    glance = stack.glance(USER)

    def create(n):
        glance.images.create(name=f"bench-{n:05d}", disk_format="qcow2", container_format="bare",
                             visibility="private", min_disk=n % 20, tags=[f"t{n % 7}", "bench"],
                             os_distro="cirros", hw_disk_bus="virtio")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(already, total)))


def first_row_ms(page, url, row, rest):
    """From navigation (from ``rest``: a goto that changed only the address's
    fragment would not load the page) to the first real row shown; then back
    to ``rest`` once the page is quiet."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(row, timeout=120000)
    elapsed = (time.perf_counter() - start) * 1000
    page.wait_for_load_state("networkidle")
    page.goto(rest)
    return elapsed


def log_in_panel(page, api, password):
    page.goto(api.url + "/")
    page.fill("#login-username", USER)
    page.fill("#login-password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(PANEL_ROW, timeout=60000)


def log_in_horizon(page, horizon, password):
    page.goto(f"{horizon.url}auth/login/?next={horizon.webroot}project/images/")
    page.fill("#id_username", USER)
    page.fill("#id_password", password)
    page.click("#loginBtn")
    page.wait_for_url("**/project/images/")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20,1000")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--from-blank", action="store_true",
                        help="start each navigation on about:blank (a new tab)")
    parser.add_argument("--out", default=str(ROOT / "bench-results" / "panel.json"))
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-panel-"))
    stack = StackProcess(work / "stack").start()
    api = horizon = None
    summary = {"rounds": args.rounds, "user": USER, "from_blank": args.from_blank, "sizes": []}
    try:
        api = ApiServer(stack, work / "api").start()
        horizon = HorizonServer(stack, work / "horizon", mounted=False, port=free_port()).start()
        urls = {"panel": api.url + "/#/images", "horizon": f"{horizon.url}project/images/"}
        rows = {"panel": PANEL_ROW, "horizon": HORIZON_ROW}
        rests = {"panel": api.url + "/api/glance/version/",
                 "horizon": f"{horizon.url}api/glance/version/"}
        if args.from_blank:
            rests = {name: "about:blank" for name in urls}
        password = stack.passwords[USER]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = {name: browser.new_context(viewport=VIEWPORT).new_page() for name in urls}

            def timed(name):
                return first_row_ms(pages[name], urls[name], rows[name], rests[name])

            seeded = 0
            for size in sizes:
                print(f"Seeding {size} images ...", flush=True)
                seed(stack, size, seeded)
                seeded = size
                if size == sizes[0]:
                    log_in_panel(pages["panel"], api, password)
                    log_in_horizon(pages["horizon"], horizon, password)
                    for name in urls:
                        pages[name].goto(rests[name])
                times = {name: [] for name in urls}
                for _ in range(2):  # warm: caches, Horizon's policy files
                    for name in urls:
                        timed(name)
                for _ in range(args.rounds):
                    for name in urls:
                        times[name].append(timed(name))
                panel, stock = (statistics.median(times[name]) for name in ("panel", "horizon"))
                summary["sizes"].append({"images": size, "panel_ms": panel, "horizon_ms": stock,
                                         "ratio": panel / stock, "samples": times})
                print(f"  {size} images: panel {panel:.0f} ms, Horizon {stock:.0f} ms, "
                      f"ratio {panel / stock:.2f}", flush=True)
            browser.close()
    finally:
        for server in (api, horizon):
            if server:
                server.stop()
        stack.stop()

    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    print(f"\nTable with real rows, from navigation (median of {args.rounds}):")
    print(f"{'images':>8}{'this panel (ms)':>18}{'Horizon (ms)':>15}{'ratio':>8}")
    for row in summary["sizes"]:
        print(f"{row['images']:>8}{row['panel_ms']:18.0f}{row['horizon_ms']:15.0f}"
              f"{row['ratio']:8.2f}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
