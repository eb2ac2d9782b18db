"""The unit and API tiers on a Debian suite's own Python and packages (make
test-distro-tiers): pytest runs in a chroot of the suite (stack.distros) on
Debian's python3 and python3-* packages, and the API it serves for the
tests (ApiServer: APP_VENV_BIN=/usr/bin) is Debian's gunicorn on that Python.
Nothing comes from PyPI there. The stack (Keystone, Glance) runs on the host
from .venv-stack, as in every other tier, on the loopback the chroot shares,
and is handed to the tests as a JSON description (GLANCE_REST_TEST_STACK).
The tiers run in lanes side by side on that stack, as make test's do
(stack.lanes: the arguments after each ``--`` are a lane's).

The checkout's files are copied into the chroot (not bind-mounted: nothing
of the host is mounted in a chroot, stack/distros.py's safety rule). The
stack keeps its data in the chroot, so that the paths it hands out (its
PostgreSQL socket, secrets) are reachable from inside.

Also kolla's installs on Debian 13's Python (make test-kolla-python,
``run_kolla``).

python -m stack.distro_tiers trixie forky [-- PYTEST_ARGS [-- PYTEST_ARGS]...]
python -m stack.distro_tiers kolla WHEEL RELEASE... [-- PYTEST_ARGS]
"""

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from stack import distros
from stack.lanes import side_by_side, split_lanes
from stack.testing import ROOT, STACK_PYTHON, StackProcess

# Debian's packages the tests need beside the app's own (distros.PACKAGES):
# the test tools, gunicorn (its /usr/bin/gunicorn serves the API), python
# (ApiServer runs APP_VENV_BIN/python), Redis and psycopg2 for the tests of
# shared sessions and of Django's database in PostgreSQL.
TEST_PACKAGES = (
    "python3-pytest", "python3-pytest-django", "python3-hypothesis", "gunicorn",
    "python-is-python3", "python3-redis", "redis-server", "python3-psycopg2",
    "python3-packaging", "python3-venv", "curl",
)
# Where the checkout and the stack's data are, inside the chroot.
CHECKOUT = "/srv/glance-rest"
STACK_DATA = "/srv/stack/data"
# What the tests take for the stack's virtualenv (STACK_PYTHON): one on
# Debian's Python and packages, holding a copy of the host stack's Glance
# metadefs (shipped_metadefs), for ``python -m stack token`` (test_docs.py).
STACK_VENV = "/srv/stack-venv"
# What does not run there, and why:
LEFT_OUT = [
    # pip installs into Horizon's virtualenvs and a wheel: the host's, by design.
    "--ignore=tests/api/test_install.py", "--ignore=tests/api/test_horizon_install.py",
    # The development stack's own tests (it stays on the host's .venv-stack).
    "--ignore=tests/api/test_stack.py",
    # The long suites (make test-deep): schemathesis has no Debian package,
    # and the fault injection restarts a stack of its own.
    "--ignore=tests/api/test_openapi.py", "--ignore=tests/api/test_faults.py",
    # vermin reads the code, whatever Python runs it; trixie has no package.
    "--deselect=tests/unit/test_floors.py::test_the_code_needs_no_newer_python_than_declared",
]


@contextlib.contextmanager
def chroot_of(name, use):
    """A fresh chroot of suite ``name`` at build/distros/NAME.USE, one run at a
    time: a second run there would remove the first one's chroot under it."""
    root = distros.BUILD / f"{name}.{use}"
    distros.BUILD.mkdir(parents=True, exist_ok=True)
    with open(f"{root}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise distros.ChrootError(f"{root} is in use by another run") from None
        with distros.Chroot(name, root=root) as chroot:
            yield chroot


def copy_checkout(chroot):
    """The checkout's files as they are now (tracked and new, not ignored)."""
    target = chroot.path(CHECKOUT)
    target.mkdir(parents=True)
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True).stdout
    pack = subprocess.Popen(["tar", "-C", str(ROOT), "--null", "--ignore-failed-read",
                             "-T", "-", "-cf", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    unpack = subprocess.Popen(["tar", "-C", str(target), "-xf", "-"], stdin=pack.stdout)
    pack.stdout.close()
    pack.communicate(names)
    if unpack.wait() or pack.returncode:
        raise distros.ChrootError(f"copying the checkout into {target} failed")


def make_stack_venv(chroot):
    chroot.run(["python3", "-m", "venv", "--system-site-packages", "--without-pip", STACK_VENV])
    host_prefix = subprocess.run([STACK_PYTHON, "-c", "import sys; print(sys.prefix)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    shutil.copytree(Path(host_prefix) / "etc" / "glance" / "metadefs",
                    chroot.path(STACK_VENV) / "etc" / "glance" / "metadefs")


def run_tiers(name, lanes, log=print):
    """The tiers in a fresh chroot of suite ``name``, each lane's pytest
    beside the others (stack.lanes; LEFT_OUT left out of each); the lanes
    that failed."""
    started = time.monotonic()
    with chroot_of(name, "tiers") as chroot:
        chroot.apt_get("install", "--no-install-recommends", *TEST_PACKAGES)
        copy_checkout(chroot)
        make_stack_venv(chroot)
        log(f"{name}: chroot ready in {time.monotonic() - started:.0f} s; "
            + " ".join(f"{p} {v}" for p, v in sorted(distros.versions(
                chroot.root, ("python3", *distros.PACKAGES, *TEST_PACKAGES)).items())))
        chroot.path(STACK_DATA).parent.mkdir(parents=True)
        stack = StackProcess(chroot.path(STACK_DATA), plain_glance=True)
        try:
            stack.start()
            # Read by the tests in the chroot, which has no Glance package.
            stack.glance_policy_defaults()
            # The same stack as the chroot sees it: its paths without the prefix.
            inside = json.dumps(stack.describe()).replace(str(chroot.root), "")
            chroot.path("/srv/stack.json").write_text(inside)
            commands = [distros.chroot_command(chroot.root, [
                "env", "-C", CHECKOUT, "GLANCE_REST_DEV=1",
                "GLANCE_REST_TEST_STACK=/srv/stack.json", "APP_VENV_BIN=/usr/bin",
                f"STACK_PYTHON={STACK_VENV}/bin/python", "python3", "-m", "pytest",
                "-p", "no:cacheprovider", "--basetemp", f"/tmp/lane-{number}", *args, *LEFT_OUT])
                for number, args in enumerate(lanes, 1)]
            failed = side_by_side(commands, chroot.path("/srv"), env=distros.CHROOT_ENV)
        finally:
            stack.stop()
    log(f"{name}: {', '.join(failed) or 'every lane'} "
        f"{'failed' if failed else 'passed'} after {time.monotonic() - started:.0f} s")
    return failed


# kolla's Debian images: Debian 13's Python 3.13, Horizon from PyPI under the
# release's constraints in a virtualenv, then this app.
KOLLA_SUITE = "trixie"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def kolla_venv(release):
    """Where a release's Horizon is, inside the chroot (test_horizon_install.py)."""
    return f"/srv/venv-horizon-{release}"


def kolla_pip(release):
    """pip of the release's Horizon in the chroot, under the release's
    constraints (as make horizon-RELEASE does on the host)."""
    return ["env", f"PIP_CONSTRAINT={CHECKOUT}/horizons/{release}.txt "
            f"{CHECKOUT}/horizons/build.txt", f"PIP_CERT={CA_BUNDLE}",
            f"{kolla_venv(release)}/bin/pip", "--disable-pip-version-check"]


def run_kolla(releases, wheel, pytest_args, log=print):
    """Each release's Horizon, then ``wheel``, on trixie's Python 3.13 in a
    chroot; then tests/api/test_horizon_install.py on the host checks them
    there (KOLLA_CHROOT, KOLLA_HORIZONS). pytest's exit status."""
    started = time.monotonic()
    with chroot_of(KOLLA_SUITE, "kolla") as chroot:
        chroot.apt_get("install", "--no-install-recommends", "python3-venv")
        # pip reaches PyPI through this machine's certificate authorities.
        chroot.path(CA_BUNDLE).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CA_BUNDLE, chroot.path(CA_BUNDLE))
        copy_checkout(chroot)
        inside = f"/srv/{Path(wheel).name}"
        shutil.copy(wheel, chroot.path(inside))
        for release in releases:
            chroot.run(["python3", "-m", "venv", kolla_venv(release)])
            chroot.run(kolla_pip(release) + ["install", "-q", "horizon"])
            chroot.path(kolla_venv(release)).joinpath("horizon-freeze.txt").write_text(
                chroot.run(kolla_pip(release) + ["freeze", "--all"]))
            chroot.run(kolla_pip(release) + ["install", "-q", inside])
            chroot.run(kolla_pip(release) + ["install", "-q", "--force-reinstall",
                                             "--no-deps", inside])
            log(f"kolla {release}: Horizon and the app on "
                f"{chroot.run(['python3', '--version']).strip()} after "
                f"{time.monotonic() - started:.0f} s")
        env = {"GLANCE_REST_DEV": "1", **os.environ, "HORIZONS": "",
               "KOLLA_CHROOT": str(chroot.root),
               "KOLLA_HORIZONS": " ".join(releases)}
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                               *(pytest_args or ["tests/api/test_horizon_install.py"])],
                              cwd=ROOT, env=env)
    log(f"kolla: pytest exited {done.returncode} after {time.monotonic() - started:.0f} s")
    return done.returncode


def main(argv):
    """python -m stack.distro_tiers SUITE... [-- PYTEST_ARGS [-- PYTEST_ARGS]...]
    python -m stack.distro_tiers kolla WHEEL RELEASE... [-- PYTEST_ARGS]"""
    names, pytest_args = argv, []
    if "--" in argv:
        names, pytest_args = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    if names[0] == "kolla":
        if run_kolla(names[2:], names[1], pytest_args):
            raise SystemExit("the kolla install checks failed")
        return
    lanes, after = split_lanes(pytest_args) if pytest_args else ([["tests/unit", "tests/api"]], None)
    if after:
        raise SystemExit("--then: the distributions' tiers have no run after their lanes")
    failed = [name for name in names if run_tiers(name, lanes)]
    if failed:
        raise SystemExit(f"the tiers failed on {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
