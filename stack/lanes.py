"""Several pytest runs side by side on one embedded stack (make test, make
test-deep).

The API tier and a schemathesis run wait on the stack more than they
compute: alone, each keeps one of the 2 cores busy. Lanes share one stack,
started here and handed to each as a JSON description
(GLANCE_REST_TEST_STACK, as make test-distro-tiers does); each lane starts
its own API servers and keeps its own temporary folders. The first lane
writes to this terminal as it runs; the others' output is kept and printed,
whole, when every lane has ended. What follows ``--then`` runs after the
lanes, alone, on the same stack (the browser tier: one browser at a time).

python -m stack.lanes PYTEST_ARGS... [-- PYTEST_ARGS...]... [--then PYTEST_ARGS...]
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

USAGE = ("usage: python -m stack.lanes PYTEST_ARGS... [-- PYTEST_ARGS...]... "
         "[--then PYTEST_ARGS...]")


def split_lanes(argv):
    """(PYTEST_ARGS of each lane, PYTEST_ARGS of the run after them or None),
    from arguments separated by ``--`` and one ``--then``."""
    after = None
    if "--then" in argv:
        at = argv.index("--then")
        argv, after = argv[:at], argv[at + 1:]
        if not after or "--then" in after or "--" in after:
            raise SystemExit(USAGE)
    lanes = [[]]
    for arg in argv:
        if arg == "--":
            lanes.append([])
        else:
            lanes[-1].append(arg)
    # An empty lane would run pytest's whole default selection.
    if not all(lanes):
        raise SystemExit(USAGE)
    return lanes, after


def say(line):
    print(line, flush=True)


def side_by_side(commands, folder, out=say, **popen):
    """Every command at once, each a lane: the first writes to this terminal,
    the others to a log in ``folder``, printed whole once all have ended.
    The names of the lanes that failed."""
    running = []
    try:
        for number, command in enumerate(commands, 1):
            if number == 1:
                running.append((number, command, None, subprocess.Popen(command, **popen)))
                continue
            log = Path(folder) / f"lane-{number}.log"
            with open(log, "wb") as output:
                running.append((number, command, log, subprocess.Popen(
                    command, stdout=output, stderr=subprocess.STDOUT, **popen)))
        started, failed, waiting = time.monotonic(), [], list(running)
        while waiting:
            time.sleep(1)
            for lane in [lane for lane in waiting if lane[3].poll() is not None]:
                number, command, log, process = lane
                waiting.remove(lane)
                out(f"lanes: lane {number} exited {process.returncode} "
                    f"after {time.monotonic() - started:.0f} s")
                if process.returncode:
                    failed.append(f"lane {number}")
        for number, command, log, process in running[1:]:
            out(f"\n===== lane {number}: {' '.join(command)}")
            out(log.read_text(errors="replace"))
        return failed
    finally:
        for *_, process in running:
            if process.poll() is None:
                process.terminate()
                process.wait()


def run_lanes(lanes, after=None, out=say):
    """Every lane's pytest at once on one new stack, then ``after``'s; the
    names of the runs that failed."""
    with tempfile.TemporaryDirectory(prefix="glance-rest-lanes-") as folder:
        folder = Path(folder)
        (folder / "stack").mkdir()
        started = time.monotonic()
        stack = StackProcess(folder / "stack" / "data", plain_glance=True).start()
        try:
            described = folder / "stack.json"
            described.write_text(json.dumps(stack.describe()))
            out(f"lanes: stack ready in {time.monotonic() - started:.0f} s")
            env = {**os.environ, "GLANCE_REST_TEST_STACK": str(described)}

            def pytest(name, args):
                return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                        "--basetemp", str(folder / name), *args]

            failed = side_by_side([pytest(f"lane-{number}", args)
                                   for number, args in enumerate(lanes, 1)],
                                  folder, out=out, cwd=ROOT, env=env)
            if after:
                out(f"\n===== then: {' '.join(after)}")
                if subprocess.run(pytest("then", after), cwd=ROOT, env=env).returncode:
                    failed.append("then")
                out(f"lanes: then ended after {time.monotonic() - started:.0f} s")
            return failed
        finally:
            stack.stop()


def main(argv):
    # A TERM (a CI job cancelled) unwinds too: the lanes and the stack stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failed = run_lanes(*split_lanes(argv))
    if failed:
        raise SystemExit(f"{', '.join(failed)} failed")


if __name__ == "__main__":
    main(sys.argv[1:])
