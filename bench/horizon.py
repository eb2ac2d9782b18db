"""make bench-horizon: a release's stock Horizon against the same Horizon with
this app mounted, on one stack, in one run, in Chromium; served by gunicorn
and WhiteNoise, or (--apache) by Apache + mod_wsgi + memcached as
distributions serve it (with LimitRequestBody 0, the operator's line).

Both Horizons run side by side (stack/horizon_site; mounted = the operator's
two settings) and one browser, logged in to each as admin, alternates between
them round by round, so that drift in the machine's speed falls on both alike:

- the Images table: from navigation to the first real row shown;
- Update Metadata, opened as soon as the table shows the image: from the click
  in the row menu to the dialog showing the metadata definitions' namespaces
  (which the panel asks for as it loads), and that namespaces request alone;
- a file through Create Image in Horizon's default legacy mode: wall time
  until Glance holds the data (active), the Horizon processes' peak memory
  (RSS of master and workers, summed) and the peak size of their temporary
  folder.

Prints a table and writes bench-results/horizon-RELEASE[-apache].json.

    python -m bench.horizon [--release 2026.2] [--apache] [--rounds 9] [--images 20]
                            [--data-mib 1024]
"""

import argparse
import io
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from glanceclient.exc import CommunicationError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stack.testing import (NEWEST_HORIZON, ApacheHorizon, HorizonServer,  # noqa: E402
                           StackProcess, free_port)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

MODES = ("stock", "mounted")
NAME_LINKS = "table tbody a[href*='ngdetails']"
# A namespace in the Update Metadata dialog's list of available definitions.
NAMESPACE_ITEM = ".modal-content .metadata-tree li.level-0"


def log_in(page, horizon, password):
    page.goto(f"{horizon.url}auth/login/?next={horizon.webroot}project/images/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", password)
    page.click("#loginBtn")
    page.wait_for_url("**/project/images/")


def table_ms(page, horizon):
    start = time.perf_counter()
    page.goto(f"{horizon.url}project/images/")
    page.wait_for_selector(NAME_LINKS, timeout=60000)
    elapsed = (time.perf_counter() - start) * 1000
    page.wait_for_selector("button:has-text('Create Image')", timeout=60000)
    page.wait_for_load_state("networkidle")
    return elapsed


def update_metadata_ms(page, horizon, name):
    """(dialog ms, namespaces request ms): the panel asks for the namespaces as
    it loads, and the dialog, opened as soon as the row shows, waits for them."""
    with page.expect_response(lambda r: "/metadefs/namespaces/" in r.url) as namespaces:
        page.goto(f"{horizon.url}project/images/")
        row = page.locator(f"tr:has(a:text-is('{name}'))").first
        row.locator("button.dropdown-toggle").click(timeout=60000)
        item = row.locator("ul.dropdown-menu").get_by_text("Update Metadata", exact=True)
        start = time.perf_counter()
        item.click()
        page.wait_for_selector(NAMESPACE_ITEM, timeout=60000)
        elapsed = (time.perf_counter() - start) * 1000
    timing = namespaces.value.request.timing
    page.locator(".modal-footer button:has-text('Cancel')").click()
    page.wait_for_selector(".modal-content", state="detached")
    page.wait_for_load_state("networkidle")
    return elapsed, timing["responseEnd"] - timing["requestStart"]


class Peaks:
    """Samples a process tree's summed RSS and a folder's size until stopped."""

    def __init__(self, pid, folder):
        self.root = psutil.Process(pid)
        self.folder = Path(folder)
        self.rss = self.disk = 0
        self.baseline_rss = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self):
        total = 0
        for proc in [self.root, *self.root.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def _disk(self):
        total = 0
        for path in self.folder.rglob("*"):
            try:
                total += path.stat().st_blocks * 512
            except OSError:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.rss = max(self.rss, self._rss())
            self.disk = max(self.disk, self._disk())
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def upload(page, horizon, glance, path, name):
    """Create Image with a file in legacy mode; seconds until Glance holds it."""
    table_ms(page, horizon)
    page.click("button:has-text('Create Image')")
    page.wait_for_selector("#imageForm-name", timeout=60000)
    page.fill("#imageForm-name", name)
    page.click(".modal-content label.btn-toggle:text-is('File')")
    page.select_option("#imageForm-format", label="Raw")
    page.set_input_files("input[name=image_file]", str(path))
    with Peaks(horizon.process.pid, horizon.folder / "tmp") as peaks:
        start = time.perf_counter()
        page.click(".modal-footer button.finish")
        while True:
            try:
                found = list(glance.images.list(filters={"name": name}))
            except CommunicationError:
                # Glance's busy server dropped the kept-alive poll: ask again.
                continue
            if found and found[0].status == "active":
                break
            if found and found[0].status in ("killed", "deleted"):
                raise RuntimeError(f"{name}: Glance has it {found[0].status}")
            if time.perf_counter() - start > 1800:
                raise RuntimeError(f"{name}: not active after 30 minutes")
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        page.wait_for_selector(".modal-content", state="detached", timeout=600000)
    return {"seconds": seconds, "peak_rss_mib": peaks.rss / 2**20,
            "rss_growth_mib": (peaks.rss - peaks.baseline_rss) / 2**20,
            "peak_tmp_mib": peaks.disk / 2**20}


def median(values):
    return statistics.median(values)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--data-mib", type=int, default=1024, help="0 skips the upload")
    parser.add_argument("--release", default=NEWEST_HORIZON,
                        help="the OpenStack release whose Horizon (make horizon-RELEASE)")
    parser.add_argument("--apache", action="store_true",
                        help="serve both Horizons with Apache + mod_wsgi + memcached")
    parser.add_argument("--out", help="default bench-results/horizon-RELEASE[-apache].json")
    args = parser.parse_args(argv)
    label = args.release + ("-apache" if args.apache else "")
    args.out = args.out or str(ROOT / "bench-results" / f"horizon-{label}.json")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-horizon-"))
    stack = StackProcess(work / "stack").start()
    servers = {}
    try:
        glance = stack.glance("admin")
        names = []
        for n in range(args.images):
            image = glance.images.create(name=f"bench-{n:04d}", disk_format="raw",
                                         container_format="bare")
            glance.images.upload(image.id, io.BytesIO(b"\0" * 1024))
            names.append(image.name)
        ports = {"stock": free_port(), "mounted": stack.horizon_port}
        server_class, extra = ((ApacheHorizon, {"limit_request_body": 0}) if args.apache
                               else (HorizonServer, {}))
        for mode in MODES:
            servers[mode] = server_class(stack, work / mode, mounted=mode == "mounted",
                                         port=ports[mode], release=args.release,
                                         **extra).start()
        password = stack.passwords["admin"]
        results = {mode: {"table_ms": [], "update_metadata_ms": [], "namespaces_ms": []}
                   for mode in MODES}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = {}
            for mode in MODES:
                pages[mode] = browser.new_context(viewport={"width": 1400, "height": 900}) \
                    .new_page()
                log_in(pages[mode], servers[mode], password)
                for _ in range(2):  # warm: Horizon loads its policy files on first use
                    table_ms(pages[mode], servers[mode])
                    update_metadata_ms(pages[mode], servers[mode], names[0])
            for _ in range(args.rounds):
                for mode in MODES:
                    results[mode]["table_ms"].append(table_ms(pages[mode], servers[mode]))
                    dialog, namespaces = update_metadata_ms(pages[mode], servers[mode], names[0])
                    results[mode]["update_metadata_ms"].append(dialog)
                    results[mode]["namespaces_ms"].append(namespaces)
            if args.data_mib:
                data = work / "disk.raw"
                with open(data, "wb") as f:
                    block = b"\0" * (1 << 20)
                    for _ in range(args.data_mib):
                        f.write(block)
                for mode in MODES:
                    results[mode]["upload"] = upload(pages[mode], servers[mode], glance, data,
                                                     f"bench-upload-{mode}")
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
        stack.stop()

    summary = {"release": args.release, "server": "apache" if args.apache else "gunicorn",
               "rounds": args.rounds, "images": args.images, "data_mib": args.data_mib}
    for mode in MODES:
        summary[mode] = {
            "table_ms": median(results[mode]["table_ms"]),
            "update_metadata_ms": median(results[mode]["update_metadata_ms"]),
            "namespaces_ms": median(results[mode]["namespaces_ms"]),
            **({"upload": results[mode]["upload"]} if "upload" in results[mode] else {}),
        }
    summary["ratios"] = {
        key: summary["mounted"][key] / summary["stock"][key]
        for key in ("table_ms", "update_metadata_ms", "namespaces_ms")}
    if args.data_mib:
        summary["ratios"]["upload_seconds"] = (summary["mounted"]["upload"]["seconds"]
                                               / summary["stock"]["upload"]["seconds"])
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    print(f"{'':34}{'stock':>12}{'mounted':>12}{'ratio':>8}")
    for key, label in (("table_ms", "Images table, first row (ms)"),
                       ("update_metadata_ms", "Update Metadata, namespaces (ms)"),
                       ("namespaces_ms", "  the namespaces request (ms)")):
        print(f"{label:34}{summary['stock'][key]:12.0f}{summary['mounted'][key]:12.0f}"
              f"{summary['ratios'][key]:8.2f}")
    if args.data_mib:
        for key, label in (("seconds", f"{args.data_mib} MiB upload, until active (s)"),
                           ("peak_rss_mib", "  Horizon peak RSS (MiB)"),
                           ("rss_growth_mib", "  Horizon RSS growth (MiB)"),
                           ("peak_tmp_mib", "  Horizon temporary files (MiB)")):
            stock, mounted = summary["stock"]["upload"][key], summary["mounted"]["upload"][key]
            print(f"{label:34}{stock:12.1f}{mounted:12.1f}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
