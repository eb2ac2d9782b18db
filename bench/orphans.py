"""Images of deleted projects in a large cloud (part of make bench-admin; alone:
python -m bench.orphans):

A stack with ``--images`` images (20,000 by default), every one owned by one
of ``--projects`` live projects except ``--orphans`` (10), each owned by a
project of its own that is then deleted through Keystone's API. The images are
made with direct Glance calls (``POST /v2/images``, metadata only, no data)
from parallel threads, named so that the orphans lie spread over the
catalogue in name order.

Timed, round by round, alternating:

- **the API**: ``GET /api/glance/admin/images/?orphaned=true&paginate=true``
  with an admin's X-Auth-Token, carried on from ``scan_marker`` (or the last
  item) until ``has_more_data`` is false: each request's time, how many of
  Glance's images it read, its orphans, and its Keystone and Glance calls
  (``X-Backend-Calls``, counted on the app's own sessions); the time to the
  whole set;
- **by hand**: what an administrator does without it, with
  python-glanceclient and Keystone's API: every image (``images.list``, pages
  of 1,000, Glance's largest) and every project (``GET /v3/projects``), then
  the owners missing from the projects.

Prints both and writes bench-results/orphans.json.

    python -m bench.orphans [--images 20000] [--orphans 10] [--projects 50] [--rounds 3]
                            [--scan N]
"""

import argparse
import concurrent.futures
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from stack.testing import ApiServer, StackProcess  # noqa: E402

USER = "admin"
THREADS = 8


def seed(stack, images, orphans, projects):
    """``projects`` live projects and ``orphans`` doomed ones (Keystone's API),
    ``images`` images over them (direct Glance calls in THREADS threads), the
    doomed projects deleted; returns (ids of the orphans, seconds taken)."""
    started = time.perf_counter()
    live = [stack.create_project(f"bench-live-{n:03d}")["id"] for n in range(projects)]
    doomed = [stack.create_project(f"bench-doomed-{n:03d}")["id"] for n in range(orphans)]
    # The orphans at even steps through the catalogue (by name).
    step = images // max(orphans, 1)
    owner_of = {n * step + step // 2: doomed[n] for n in range(orphans)}
    token = stack.token(USER)
    local = threading.local()

    def create(n):
        if not hasattr(local, "http"):
            local.http = requests.Session()
            local.http.headers.update({"X-Auth-Token": token})
        answer = local.http.post(f"{stack.glance_url}/v2/images", timeout=120, json={
            "name": f"bench-{n:06d}", "disk_format": "raw", "container_format": "bare",
            "visibility": "private", "owner": owner_of.get(n, live[n % projects])})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"] if n in owner_of else None

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        made = [image_id for image_id in pool.map(create, range(images)) if image_id]
    for project_id in doomed:
        stack.delete_project(project_id)
    return made, time.perf_counter() - started


def through_api(api, token):
    """Every orphan through the API's orphaned filter: (ids, the requests)."""
    http = requests.Session()
    http.headers.update({"X-Auth-Token": token})
    found, requests_made, marker = [], [], None
    started = time.perf_counter()
    while True:
        query = {"orphaned": "true", "paginate": "true"}
        if marker:
            query["marker"] = marker
        sent = time.perf_counter()
        answer = http.get(api.url + "/api/glance/admin/images/", params=query, timeout=600)
        elapsed = time.perf_counter() - sent
        assert answer.status_code == 200, answer.text
        body = answer.json()
        calls = dict(part.strip().split("=") for part in
                     answer.headers["X-Backend-Calls"].split(","))
        found.extend(item["id"] for item in body["items"])
        requests_made.append({"ms": elapsed * 1000, "orphans": len(body["items"]),
                              "keystone_calls": int(calls["keystone"]),
                              "glance_calls": int(calls["glance"]),
                              "since_start_ms": (time.perf_counter() - started) * 1000})
        if not body["has_more_data"]:
            return found, requests_made
        marker = body["scan_marker"] or body["items"][-1]["id"]


def by_hand(stack):
    """What an administrator does without the API: every image, every
    project, compared. (orphan ids, seconds)"""
    started = time.perf_counter()
    glance = stack.glance(USER)
    session = stack.session(USER)
    owners = {image.id: image.owner for image in glance.images.list(page_size=1000)}
    projects = {p["id"] for p in session.get(f"{stack.keystone_url}/projects").json()["projects"]}
    found = [image_id for image_id, owner in owners.items() if owner and owner not in projects]
    return found, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--orphans", type=int, default=10)
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scan", type=int, default=None,
                        help="the API's ORPHAN_SCAN_IMAGES (default: the API's own)")
    parser.add_argument("--out", default=str(ROOT / "bench-results" / "orphans.json"))
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-orphans-"))
    stack = StackProcess(work / "stack").start()
    api = None
    summary = {"images": args.images, "orphans": args.orphans, "projects": args.projects,
               "rounds": args.rounds, "scan": args.scan}
    try:
        env = {"BACKEND_CALLS_HEADER": "1"}
        if args.scan:
            env["ORPHAN_SCAN_IMAGES"] = str(args.scan)
        api = ApiServer(stack, work / "api", extra_env=env).start()
        print(f"Seeding {args.images} images, {args.orphans} of deleted projects ...", flush=True)
        orphans, seconds = seed(stack, args.images, args.orphans, args.projects)
        summary["seed_s"] = seconds
        print(f"  seeded in {seconds:.0f} s", flush=True)
        token = stack.token(USER)
        rounds = []
        for number in range(args.rounds + 1):  # the first round warms both, untimed
            found, made = through_api(api, token)
            assert sorted(found) == sorted(orphans), (found, orphans)
            by_hand_found, by_hand_s = by_hand(stack)
            assert sorted(by_hand_found) == sorted(orphans)
            rounds.append({"api_requests": made, "api_s": made[-1]["since_start_ms"] / 1000,
                           "by_hand_s": by_hand_s, "warm": number == 0})
            each = ", ".join("%.0f" % r["ms"] for r in made)
            keystone = ", ".join(str(r["keystone_calls"]) for r in made)
            print(f"  round {number}{' (warming)' if not number else ''}: API "
                  f"{len(made)} requests, {rounds[-1]['api_s']:.2f} s (each {each} ms; "
                  f"Keystone calls {keystone}); by hand {by_hand_s:.2f} s", flush=True)
        timed = [r for r in rounds if not r["warm"]] or rounds
        summary["rounds_detail"] = rounds
        summary["api_whole_set_s"] = statistics.median(r["api_s"] for r in timed)
        summary["by_hand_s"] = statistics.median(r["by_hand_s"] for r in timed)
        summary["api_request_ms"] = statistics.median(
            q["ms"] for r in timed for q in r["api_requests"])
        summary["api_first_orphan_ms"] = statistics.median(
            next(q["since_start_ms"] for q in r["api_requests"] if q["orphans"]) for r in timed)
        summary["keystone_calls_per_request_max"] = max(
            q["keystone_calls"] for r in rounds for q in r["api_requests"])
        summary["keystone_calls_first_round"] = [q["keystone_calls"]
                                                 for q in rounds[0]["api_requests"]]
    finally:
        if api:
            api.stop()
        stack.stop()

    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    s = summary
    print(f"\n{s['images']} images, {s['orphans']} orphans, median of {s['rounds']} rounds:")
    print(f"  API (orphaned=true, carried on from scan_marker): whole set "
          f"{s['api_whole_set_s']:.2f} s in {len(timed[0]['api_requests'])} requests, "
          f"{s['api_request_ms']:.0f} ms a request, first orphans after "
          f"{s['api_first_orphan_ms']:.0f} ms; Keystone calls a request at most "
          f"{s['keystone_calls_per_request_max']} (first round: {s['keystone_calls_first_round']})")
    print(f"  by hand (every image and every project, compared): {s['by_hand_s']:.2f} s")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
