"""make bench: the API against direct Glance calls, measured in one run.

Starts an isolated stack and the API under gunicorn, seeds a catalogue, and for
each operation times the API over HTTP keep-alive (with X-Auth-Token and with a
session cookie) against the same operation done directly with
python-glanceclient. Prints a table and writes bench-results/latest.json.

    python -m bench.run [--images 1000,10000] [--samples 40] [--data-mib 1024]
"""

import argparse
import concurrent.futures
import hashlib
import itertools
import json as jsonlib
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import browser_login  # noqa: E402
from stack.testing import ApiServer, StackProcess  # noqa: E402

RESOURCE_TYPE = "OS::Glance::Image"


# --- measuring ----------------------------------------------------------------------
def timed_together(funcs, samples, warmup=3):
    """Time each of ``funcs`` ``samples`` times, interleaved (one of each per
    round), so that drift in the machine's speed falls on all of them alike."""
    for func in funcs.values():
        for _ in range(warmup):
            func()
    times = {name: [] for name in funcs}
    for _ in range(samples):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append((time.perf_counter() - start) * 1000)
    result = {}
    for name, values in times.items():
        values.sort()
        result[name] = {"median_ms": statistics.median(values),
                        "p95_ms": values[min(len(values) - 1, int(len(values) * 0.95))]}
    return result


class ApiCaller:
    """The API over one keep-alive connection (urllib3), as a browser or curl
    would call it: a client library's own overhead is not the API's.
    Remembers the last X-Backend-Calls."""

    def __init__(self, base, headers):
        url = urlsplit(base)
        self.pool = urllib3.HTTPConnectionPool(url.hostname, url.port, maxsize=1,
                                               retries=False)
        self.headers = headers
        self.backend_calls = None
        self.cpu_ms = []  # the API process's CPU per call (X-Request-Cpu-Ms)

    @classmethod
    def with_token(cls, base, token):
        return cls(base, {"X-Auth-Token": token})

    @classmethod
    def logged_in(cls, base, username, password):
        http, headers, answer = browser_login(base, username, password)
        answer.raise_for_status()
        cookies = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        return cls(base, {**headers, "Cookie": cookies})

    def call(self, method, path, json=None):
        headers, body = self.headers, None
        if json is not None:
            headers = {**headers, "Content-Type": "application/json"}
            body = jsonlib.dumps(json).encode()
        answer = self.pool.request(method, path, body=body, headers=headers)
        if answer.status >= 400:
            raise RuntimeError(f"{method} {path}: {answer.status} {answer.data[:300]!r}")
        self.backend_calls = answer.headers.get("X-Backend-Calls")
        if answer.headers.get("X-Request-Cpu-Ms"):
            self.cpu_ms.append(float(answer.headers["X-Request-Cpu-Ms"]))
        if answer.data:
            answer.json()
        return answer


class RequestsCaller:
    """The same calls through python-requests, for comparison: it adds about
    0.4 ms of its own per call on this machine."""

    def __init__(self, base, token):
        self.base = base
        self.http = requests.Session()
        self.headers = {"X-Auth-Token": token}

    def call(self, method, path, json=None):
        answer = self.http.request(method, self.base + path, headers=self.headers, json=json)
        answer.raise_for_status()
        if answer.content:
            answer.json()
        return answer


# --- seeding ------------------------------------------------------------------------
def seed(stack, total, already):
    """Images with a few properties and tags, in several visibilities."""
    users = {"demo": stack.glance("demo"), "admin": stack.glance("admin")}
    visibilities = ["private", "shared", "community", "public"]

    def create(n):
        vis = visibilities[n % 4]
        glance = users["admin" if vis == "public" else "demo"]
        glance.images.create(name=f"bench-{n:05d}", disk_format="qcow2",
                             container_format="bare", visibility=vis, min_disk=n % 20,
                             tags=[f"t{n % 7}", "bench"], os_distro="cirros",
                             hw_disk_bus="virtio", build=str(n))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(already, total)))


# --- operations ----------------------------------------------------------------------
def operations(stack, glance, image_id, middle_marker, page_size):
    """(name, API method, path, kwargs, direct callable)."""
    def direct_list(**kwargs):
        return lambda: list(itertools.islice(glance.images.list(
            page_size=page_size + 1, limit=page_size + 1, **kwargs), page_size + 1))

    def direct_namespaces():
        for summary in glance.metadefs_namespace.list(
                filters={"resource_types": [RESOURCE_TYPE]}):
            glance.metadefs_namespace.get(summary["namespace"], resource_type=RESOURCE_TYPE)

    def direct_info():
        # What GET /api/glance/info/ gathers: version, import methods, stores, formats.
        glance.versions.list()
        glance.images.get_import_info()
        glance.images.get_stores_info()
        glance.schemas.get("image")

    counter = itertools.count()
    return [
        ("list page 1", "GET", "/api/glance/images/?paginate=true", {},
         direct_list(sort_key="created_at", sort_dir="desc")),
        ("list middle page", "GET", f"/api/glance/images/?paginate=true&marker={middle_marker}",
         {}, direct_list(sort_key="created_at", sort_dir="desc", marker=middle_marker)),
        ("list filtered by name", "GET", "/api/glance/images/?name=bench-00042", {},
         lambda: list(glance.images.list(filters={"name": "bench-00042"}))),
        ("list sorted by size desc", "GET",
         "/api/glance/images/?paginate=true&sort_key=size&sort_dir=desc", {},
         direct_list(sort_key="size", sort_dir="desc")),
        ("get image", "GET", f"/api/glance/images/{image_id}/", {},
         lambda: glance.images.get(image_id)),
        ("get properties", "GET", f"/api/glance/images/{image_id}/properties/", {},
         lambda: glance.images.get(image_id)),
        ("update properties", "PATCH", f"/api/glance/images/{image_id}/properties/",
         {"json_factory": lambda: {"updated": {"bench_counter": str(next(counter))}}},
         lambda: glance.images.update(image_id, bench_counter=str(next(counter)))),
        ("metadefs namespaces (resource type)", "GET",
         f"/api/glance/metadefs/namespaces/?resource_type={RESOURCE_TYPE}", {},
         direct_namespaces),
        ("metadefs resource types", "GET", "/api/glance/metadefs/resourcetypes/", {},
         lambda: list(glance.metadefs_resource_type.list())),
        ("member list", "GET", f"/api/glance/images/{image_id}/members/", {},
         lambda: list(glance.image_members.list(image_id))),
        ("info (cached)", "GET", "/api/glance/info/", {}, direct_info),
        ("version", "GET", "/api/glance/version/", {},
         lambda: glance.http_client.get("/versions")),
    ]


def measure_operations(api_token, api_session, api_requests, ops, samples):
    rows = []
    for name, method, path, kwargs, direct in ops:
        factory = kwargs.get("json_factory")

        def api(caller):
            return lambda: caller.call(method, path, json=factory() if factory else None)
        api_token.cpu_ms.clear()
        timings = timed_together({"api_token": api(api_token), "api_session": api(api_session),
                                  "api_requests": api(api_requests), "direct": direct}, samples)
        row = {"operation": name, **timings, "backend_calls": api_token.backend_calls,
               "api_cpu_ms": statistics.median(api_token.cpu_ms) if api_token.cpu_ms else None}
        for label in ("token", "session", "requests"):
            row[f"ratio_{label}"] = row[f"api_{label}"]["median_ms"] / row["direct"]["median_ms"]
        rows.append(row)
        cpu = f"{row['api_cpu_ms']:.2f}" if row["api_cpu_ms"] is not None else "-"
        print(f"  {name:38s} api {row['api_token']['median_ms']:7.1f} ms  "
              f"direct {row['direct']['median_ms']:7.1f} ms  ratio {row['ratio_token']:.2f}  "
              f"session {row['ratio_session']:.2f}  API CPU {cpu} ms  "
              f"(requests {row['ratio_requests']:.2f}; {row['backend_calls']})", flush=True)
    return rows


def throughput(make_call, clients=8, seconds=5.0):
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def worker(i):
        call = make_call()
        while time.monotonic() < stop:
            call()
            counts[i] += 1
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started)


# --- image data ------------------------------------------------------------------------
def worker_pids(server):
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [int(p) for p in children.read_text().split()]


def rss_kib(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak(pids):
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := current RSS


def data_bench(stack, server, token, mib):
    size = mib * 1024 * 1024
    path = Path(tempfile.mkdtemp(prefix="glance-rest-bench-")) / "disk.raw"
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(block)
    glance = stack.glance("demo")
    results = {"size_mib": mib}
    try:
        # Direct: glanceclient create + upload, then download.
        start = time.perf_counter()
        image = glance.images.create(name="bench-data-direct", disk_format="raw",
                                     container_format="bare")
        with open(path, "rb") as f:
            glance.images.upload(image.id, f, image_size=size)
        results["direct_upload_s"] = time.perf_counter() - start
        start = time.perf_counter()
        for _ in glance.images.data(image.id):
            pass
        results["direct_download_s"] = time.perf_counter() - start
        glance.images.delete(image.id)

        # API: multipart POST (streamed), then GET /data/.
        pids = worker_pids(server)
        before = {pid: rss_kib(pid, "VmRSS") for pid in pids}
        reset_peak(pids)
        boundary = "benchboundary"
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
                f'bench-data-api\r\n--{boundary}\r\nContent-Disposition: form-data; '
                f'name="disk_format"\r\n\r\nraw\r\n--{boundary}\r\nContent-Disposition: '
                f'form-data; name="data"; filename="disk.raw"\r\n'
                f'Content-Type: application/octet-stream\r\n\r\n').encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        class Body:
            def __len__(self):
                return len(head) + size + len(tail)

            def __iter__(self):
                yield head
                with open(path, "rb") as f:
                    while chunk := f.read(1024 * 1024):
                        yield chunk
                yield tail
        start = time.perf_counter()
        multipart = f"multipart/form-data; boundary={boundary}"
        answer = requests.post(server.url + "/api/glance/images/", data=Body(), timeout=900,
                               headers={"X-Auth-Token": token, "Content-Type": multipart})
        results["api_upload_s"] = time.perf_counter() - start
        answer.raise_for_status()
        image_id = answer.json()["id"]
        start = time.perf_counter()
        digest = hashlib.md5()
        with requests.get(f"{server.url}/api/glance/images/{image_id}/data/", stream=True,
                          headers={"X-Auth-Token": token}, timeout=900) as download:
            for chunk in download.iter_content(1024 * 1024):
                digest.update(chunk)
        results["api_download_s"] = time.perf_counter() - start
        assert digest.hexdigest() == answer.json()["checksum"], "downloaded bytes differ"
        growth = max(rss_kib(pid, "VmHWM") - before[pid] for pid in pids)
        results["api_peak_rss_growth_mib"] = growth / 1024
        glance.images.delete(image_id)

        # glance-direct: stage (timed against glanceclient's stage), then import.
        image = glance.images.create(name="bench-stage-direct", disk_format="raw",
                                     container_format="bare")
        start = time.perf_counter()
        with open(path, "rb") as f:
            glance.images.stage(image.id, f, image_size=size)
        results["direct_stage_s"] = time.perf_counter() - start
        glance.images.delete(image.id)
        image = glance.images.create(name="bench-stage-api", disk_format="raw",
                                     container_format="bare")
        before = {pid: rss_kib(pid, "VmRSS") for pid in pids}
        reset_peak(pids)

        start = time.perf_counter()
        with open(path, "rb") as f:  # streamed by requests, with its Content-Length
            staged = requests.put(f"{server.url}/api/glance/images/{image.id}/stage/", data=f,
                                  timeout=900, headers={"X-Auth-Token": token,
                                                        "Content-Type": "application/octet-stream"})
        results["api_stage_s"] = time.perf_counter() - start
        staged.raise_for_status()
        start = time.perf_counter()
        requests.post(f"{server.url}/api/glance/images/{image.id}/import/", timeout=60,
                      json={"method": "glance-direct"},
                      headers={"X-Auth-Token": token}).raise_for_status()
        while glance.images.get(image.id).status != "active":
            time.sleep(0.5)
        results["import_after_stage_s"] = time.perf_counter() - start
        growth = max(rss_kib(pid, "VmHWM") - before[pid] for pid in pids)
        results["api_stage_peak_rss_growth_mib"] = growth / 1024
        glance.images.delete(image.id)
    finally:
        path.unlink()
        path.parent.rmdir()
    results["upload_throughput_ratio"] = results["direct_upload_s"] / results["api_upload_s"]
    results["download_throughput_ratio"] = (results["direct_download_s"]
                                            / results["api_download_s"])
    results["stage_throughput_ratio"] = results["direct_stage_s"] / results["api_stage_s"]
    return results


# --- main ----------------------------------------------------------------------------------
def shortcuts_bench(server, session_headers, rounds=2000):
    """What sessions.py's shortcut saves per session request, timed in this
    process, interleaved, on the API server's own session row: its plain
    query (and its decode remembered per stored string) against Django's
    database session store; and, for comparison, what rebuilding the
    session's AccessInfo (auth._load, not remembered) costs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    os.environ.setdefault("GLANCE_REST_DEV", "1")
    os.environ["GLANCE_REST_DB"] = server.env["GLANCE_REST_DB"]
    import django

    django.setup()
    from django.contrib.sessions.backends import db

    from glance_rest import auth, sessions

    cookies = dict(part.split("=", 1) for part in session_headers["Cookie"].split("; "))
    key = cookies["sessionid"]
    state = sessions.SessionStore(key).load()[auth.SESSION_KEY]
    calls = {"shortcut": lambda: sessions.SessionStore(key).load(),
             "plain": lambda: db.SessionStore(key).load(),
             "access_info": lambda: auth._load(state)}
    spent = dict.fromkeys(calls, 0.0)
    for _ in range(rounds):
        for label, func in calls.items():
            started = time.perf_counter()
            func()
            spent[label] += time.perf_counter() - started
    per_call_us = {label: total / rounds * 1e6 for label, total in spent.items()}
    return {"session_load": {"shortcut": per_call_us["shortcut"], "plain": per_call_us["plain"],
                             "saved_us": per_call_us["plain"] - per_call_us["shortcut"]},
            "access_info_us": per_call_us["access_info"]}


def machine():
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", default="1000,10000")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--data-mib", type=int, default=1024, help="0 skips the data bench")
    parser.add_argument("--data-only", action="store_true", help="only the image data bench")
    parser.add_argument("--out", default=str(ROOT / "bench-results" / "latest.json"))
    args = parser.parse_args(argv)
    sizes = [] if args.data_only else [int(n) for n in args.images.split(",")]

    work = Path(tempfile.mkdtemp(prefix="glance-rest-bench-"))
    stack = StackProcess(work / "stack").start()
    server = ApiServer(stack, work / "api", workers=2,
                       extra_env={"BACKEND_CALLS_HEADER": "1", "LOG_LEVEL": "WARNING",
                                  "IMAGE_UPLOAD_MAX_SIZE": "0"}).start()
    report = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "catalogues": []}
    try:
        token = stack.token("demo")
        api_token = ApiCaller.with_token(server.url, token)
        api_session = ApiCaller.logged_in(server.url, "demo", stack.passwords["demo"])
        api_requests = RequestsCaller(server.url, token)
        glance = stack.glance("demo")
        seeded = 0
        for size in sizes:
            print(f"Seeding {size} images ...", flush=True)
            started = time.monotonic()
            seed(stack, size, seeded)
            seeded = size
            print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)
            ids = [i.id for i in itertools.islice(
                glance.images.list(sort_key="created_at", sort_dir="desc", page_size=200), 200)]
            page_size = int(api_token.call("GET", "/api/glance/images/?paginate=true")
                            .json()["items"].__len__())
            target = glance.images.create(name="bench-target", disk_format="raw",
                                          container_format="bare", os_distro="cirros",
                                          visibility="shared").id
            glance.image_members.create(target, stack.project_id("alt_demo"))
            ops = operations(stack, glance, target, ids[100], page_size)
            print(f"Operations at {size} images (median of {args.samples}):", flush=True)
            rows = measure_operations(api_token, api_session, api_requests, ops, args.samples)
            report["catalogues"].append({"images": size, "operations": rows})

        if sizes:
            print("Throughput of GET image, 8 clients, 5 s each ...", flush=True)
            image_id = target
            api_rps = throughput(lambda: (lambda c=ApiCaller.with_token(server.url, token):
                                          c.call("GET", f"/api/glance/images/{image_id}/")))
            direct_rps = throughput(lambda: (lambda g=stack.glance("demo"):
                                             g.images.get(image_id)))
            report["throughput_get_image"] = {"api_rps": api_rps, "direct_rps": direct_rps,
                                              "ratio": api_rps / direct_rps}
            print(f"  api {api_rps:.0f} req/s, direct {direct_rps:.0f} req/s", flush=True)

        if len(report["catalogues"]) > 1:
            small, large = report["catalogues"][0], report["catalogues"][-1]
            report["scaling"] = {
                op["operation"]: {
                    "api": large_op["api_token"]["median_ms"] / op["api_token"]["median_ms"],
                    "direct": large_op["direct"]["median_ms"] / op["direct"]["median_ms"],
                    "api_added_ms": [o["api_token"]["median_ms"] - o["direct"]["median_ms"]
                                     for o in (op, large_op)]}
                for op, large_op in zip(small["operations"], large["operations"])
                if op["operation"].startswith("list")}

        if sizes:
            print("Session-path shortcuts ...", flush=True)
            report["shortcuts"] = shortcuts_bench(server, api_session.headers)
            report["shortcuts"]["session_get_image_ms"] = next(
                row["api_session"]["median_ms"] for row in report["catalogues"][0]["operations"]
                if row["operation"] == "get image")

        if args.data_mib:
            print(f"Image data, {args.data_mib} MiB ...", flush=True)
            report["data"] = data_bench(stack, server, token, args.data_mib)
    finally:
        server.stop()
        stack.stop()

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.with_name("previous.json")
    if out.exists():
        out.replace(previous)
    out.write_text(jsonlib.dumps(report, indent=2))
    print()
    print(render(report))
    if previous.exists():
        print()
        print(compare(jsonlib.loads(previous.read_text()), report))
    print(f"\nJSON: {out} (the run before: {previous.name})")
    return 0


def compare(before, after):
    """API median and ratio of each operation, the run before against this one."""
    lines = [f"Against the run before ({before['started']}): API token median ms, "
             "API/direct"]
    old = {(c["images"], row["operation"]): row
           for c in before.get("catalogues", []) for row in c["operations"]}
    for catalogue in after["catalogues"]:
        for row in catalogue["operations"]:
            was = old.get((catalogue["images"], row["operation"]))
            if was is None:
                continue
            lines.append(
                f"- {catalogue['images']} images, {row['operation']}: "
                f"{was['api_token']['median_ms']:.1f} -> {row['api_token']['median_ms']:.1f} ms; "
                f"{was['ratio_token']:.2f} -> {row['ratio_token']:.2f}")
    return "\n".join(lines)


def cpu_cell(row):
    cpu = row.get("api_cpu_ms")
    return "-" if cpu is None else f"{cpu:.2f}"


def render(report):
    lines = [f"Machine: {report['machine']['cpus']} CPUs, {report['machine']['memory_gib']} GiB, "
             f"Python {report['machine']['python']}, {report['started']}", ""]
    for catalogue in report["catalogues"]:
        lines.append(f"{catalogue['images']} images")
        lines.append("| operation | API token median / p95 ms | API session median ms | "
                     "direct median / p95 ms | API/direct token (session) | "
                     "API/direct via requests | backend calls per API call | API CPU ms |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for row in catalogue["operations"]:
            lines.append(
                f"| {row['operation']} | {row['api_token']['median_ms']:.1f} / "
                f"{row['api_token']['p95_ms']:.1f} | {row['api_session']['median_ms']:.1f} | "
                f"{row['direct']['median_ms']:.1f} / {row['direct']['p95_ms']:.1f} | "
                f"{row['ratio_token']:.2f} ({row['ratio_session']:.2f}) | "
                f"{row['ratio_requests']:.2f} | {row['backend_calls']} | "
                f"{cpu_cell(row)} |")
        lines.append("")
    if "throughput_get_image" in report:
        t = report["throughput_get_image"]
        lines.append(f"GET image, 8 concurrent clients: API {t['api_rps']:.0f} req/s, "
                     f"direct {t['direct_rps']:.0f} req/s (ratio {t['ratio']:.2f})")
    if "scaling" in report:
        lines.append("Scaling, median at the largest catalogue / at the smallest "
                     "(API; direct Glance; what the API adds at each, ms):")
        for name, v in report["scaling"].items():
            added = " / ".join(f"{ms:.1f}" for ms in v["api_added_ms"])
            lines.append(f"- {name}: API {v['api']:.2f}; direct {v['direct']:.2f}; "
                         f"added {added}")
    if "shortcuts" in report:
        sc = report["shortcuts"]
        lines.append(
            f"Session-path shortcuts, per request (a session GET image takes "
            f"{sc['session_get_image_ms']:.1f} ms): sessions.py's plain query "
            f"{sc['session_load']['shortcut']:.0f} us vs Django's store "
            f"{sc['session_load']['plain']:.0f} us; the session's AccessInfo rebuilt "
            f"{sc['access_info_us']:.0f} us")
    if "data" in report:
        d = report["data"]
        lines.append(
            f"Image data {d['size_mib']} MiB: upload API {d['api_upload_s']:.1f} s vs direct "
            f"{d['direct_upload_s']:.1f} s (throughput ratio {d['upload_throughput_ratio']:.2f}); "
            f"download API {d['api_download_s']:.1f} s vs direct {d['direct_download_s']:.1f} s "
            f"(ratio {d['download_throughput_ratio']:.2f}); API peak RSS growth "
            f"{d['api_peak_rss_growth_mib']:.1f} MiB")
        if "api_stage_s" in d:
            lines.append(
                f"Stage {d['size_mib']} MiB: API {d['api_stage_s']:.1f} s vs direct "
                f"{d['direct_stage_s']:.1f} s (throughput ratio {d['stage_throughput_ratio']:.2f}); "
                f"glance-direct import after it {d['import_after_stage_s']:.1f} s; API peak RSS "
                f"growth {d['api_stage_peak_rss_growth_mib']:.1f} MiB")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
