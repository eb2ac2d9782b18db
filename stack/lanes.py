"""Several pytest runs side by side on one embedded stack (make test-deep).

A schemathesis run waits on the API more than it computes: alone, it keeps
one of the 2 cores busy. Lanes share one stack, started here and handed to
each as a JSON description (GLANCE_REST_TEST_STACK, as make
test-distro-tiers does); each lane starts its own API servers and keeps its
own temporary folders. A lane's output is kept in its log and printed, whole,
when every lane has ended.

python -m stack.lanes PYTEST_ARGS... -- PYTEST_ARGS... [-- ...]
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stack.testing import ROOT, StackProcess


def split_lanes(argv):
    """PYTEST_ARGS of each lane, from arguments separated by ``--``."""
    lanes = [[]]
    for arg in argv:
        if arg == "--":
            lanes.append([])
        else:
            lanes[-1].append(arg)
    if not all(lanes):
        raise SystemExit("usage: python -m stack.lanes PYTEST_ARGS... -- PYTEST_ARGS...")
    return lanes


def say(line):
    print(line, flush=True)


def run_lanes(lanes, out=say):
    """Every lane's pytest at once on one new stack; the lanes that failed."""
    with tempfile.TemporaryDirectory(prefix="glance-rest-lanes-") as folder:
        folder = Path(folder)
        (folder / "stack").mkdir()
        started = time.monotonic()
        stack = StackProcess(folder / "stack" / "data", plain_glance=True).start()
        running = []
        try:
            described = folder / "stack.json"
            described.write_text(json.dumps(stack.describe()))
            out(f"lanes: stack ready in {time.monotonic() - started:.0f} s")
            env = {**os.environ, "GLANCE_REST_TEST_STACK": str(described)}
            for number, args in enumerate(lanes, 1):
                log = folder / f"lane-{number}.log"
                with open(log, "wb") as output:
                    process = subprocess.Popen(
                        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                         "--basetemp", str(folder / f"lane-{number}"), *args],
                        cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
                running.append((number, args, log, process))
            failed, waiting = [], list(running)
            while waiting:
                time.sleep(1)
                for lane in [lane for lane in waiting if lane[3].poll() is not None]:
                    number, args, log, process = lane
                    waiting.remove(lane)
                    out(f"lanes: lane {number} ({' '.join(args)}) exited {process.returncode} "
                        f"after {time.monotonic() - started:.0f} s")
                    if process.returncode:
                        failed.append(number)
            for number, args, log, process in running:
                out(f"\n===== lane {number}: {' '.join(args)}")
                out(log.read_text(errors="replace"))
            return failed
        finally:
            for *_, process in running:
                if process.poll() is None:
                    process.terminate()
                    process.wait()
            stack.stop()


def main(argv):
    # A TERM (a CI job cancelled) unwinds too: the lanes and the stack stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = run_lanes(split_lanes(argv))
    if failed:
        raise SystemExit(f"lanes {', '.join(map(str, failed))} failed")


if __name__ == "__main__":
    main(sys.argv[1:])
