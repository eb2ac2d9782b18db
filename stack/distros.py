"""Debian's own Horizon in debootstrap chroots (make test-distros): build a
chroot of a Debian suite with Debian's ``openstack-dashboard-apache`` and
``memcached``, keep it as a tarball under build/distros/, unpack it for a run,
run commands in it, and remove it safely.

Each chroot lives in a tmpfs of its own (memory: unpacking is quick and
deleting is an unmount, where deleting a gigabyte of small files from the disk
took minutes here).

Safety: nothing of the host is ever bind-mounted into a chroot. debootstrap
makes the chroot's own device nodes (/dev/null, /dev/urandom, ...); a run
mounts only fresh file systems there (proc, a devpts instance, a tmpfs on
/dev/shm). ``remove`` is the one way a chroot goes: it stops the processes
running in it, unmounts everything under it, checks /proc/mounts, and only
then runs ``rm -rf --one-file-system`` (STACK_FACTS' Danger note: with the
host's /dev bind-mounted, ``rm -rf`` deletes the machine's device nodes).

Standard library only: the host's tests import it, and so can any Python.
Must run as root (chroot, mount).
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "distros"
MIRROR = "http://deb.debian.org/debian"


class Suite:
    """A Debian suite as debootstrap and apt reach it today."""

    def __init__(self, name, codename, script=None, check_valid_until=True):
        self.name = name
        self.codename = codename
        # Bookworm's debootstrap has no script for forky: sid's builds it.
        self.script = script
        # forky's Release on the mirror is past its Valid-Until.
        self.check_valid_until = check_valid_until

    def apt_options(self):
        return [] if self.check_valid_until else ["-o", "Acquire::Check-Valid-Until=false"]


SUITES = {
    "trixie": Suite("trixie", "trixie"),
    "forky": Suite("forky", "forky", script="/usr/share/debootstrap/scripts/sid",
                   check_valid_until=False),
}

# Debian's Horizon under Apache, memcached as its cache (and the client Django
# needs for it), and this app's dependencies from the archive, so that
# installing the app's package at test time needs nothing downloaded.
PACKAGES = (
    "openstack-dashboard-apache", "memcached", "python3-pymemcache",
    "python3-django", "python3-keystoneauth1", "python3-glanceclient", "python3-requests",
    "python3-urllib3", "python3-multipart", "python3-oslo.utils", "python3-jsonschema",
)


class ChrootError(RuntimeError):
    pass


def run(command, **kwargs):
    """A host command, failing with its output."""
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise ChrootError(f"{' '.join(map(str, command))} exited {done.returncode}:\n"
                          f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


# --- mounts ------------------------------------------------------------------
def _unescape(field):
    # /proc/mounts writes space, tab, newline and backslash as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mounts_under(root):
    """Every mount point at or under ``root`` (per /proc/mounts), deepest first."""
    root = os.path.realpath(root)
    points = []
    with open("/proc/mounts") as mounts:
        for line in mounts:
            point = _unescape(line.split()[1])
            if point == root or point.startswith(root.rstrip("/") + "/"):
                points.append(point)
    return sorted(set(points), key=lambda p: p.count("/"), reverse=True)


def mounts_inside(root):
    """The mount points strictly under ``root`` (not its own tmpfs)."""
    return [point for point in mounts_under(root) if point != os.path.realpath(root)]


# What a run mounts: fresh file systems only, none of them the host's.
MOUNTS = (
    ("proc", "proc", "proc", []),
    ("devpts", "devpts", "dev/pts", ["-o", "newinstance,ptmxmode=0666,mode=620"]),
    ("tmpfs", "tmpfs", "dev/shm", ["-o", "mode=1777,size=256m"]),
)


def mount(root):
    """proc, a private devpts and a tmpfs /dev/shm in the chroot (never the
    host's /dev: see the module's docstring)."""
    root = Path(root)
    mounted = mounts_under(root)
    for kind, source, target, options in MOUNTS:
        point = root / target
        if str(point) in mounted:
            continue
        point.mkdir(parents=True, exist_ok=True)
        run(["mount", "-t", kind, *options, source, str(point)])


def fresh_root(root):
    """An empty tmpfs at ``root`` (whatever was there removed first)."""
    remove(root)
    Path(root).mkdir(parents=True)
    run(["mount", "-t", "tmpfs", "-o", "mode=755,size=4g", "tmpfs", str(root)])


def processes_in(root, name=None):
    """The ids of the processes whose root directory is ``root`` (and whose
    command is ``name``, when given)."""
    root = os.path.realpath(root)
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/root") == root and (
                        name is None or Path(f"/proc/{entry}/comm").read_text().strip() == name):
                    found.append(int(entry))
            except OSError:
                pass  # gone, or a kernel thread
    return found


def stop_processes(root, name=None, timeout=20):
    """SIGTERM every process running in the chroot (the servers a run started
    there; only those whose command is ``name``, when given), then SIGKILL
    what is left after ``timeout`` seconds; returns once none is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_in(root, name):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while processes_in(root, name) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not processes_in(root, name):
            return
    raise ChrootError(f"processes still running in {root}: {processes_in(root, name)}")


def unmount(root, keep_root=False):
    """Stop the chroot's processes and unmount everything under ``root``
    (lazily where a mount stays busy), its own tmpfs too unless ``keep_root``,
    then check /proc/mounts: raises while anything is still mounted there."""
    stop_processes(root)
    listed = mounts_inside if keep_root else mounts_under
    for point in listed(root):
        if subprocess.run(["umount", point], capture_output=True).returncode:
            subprocess.run(["umount", "-l", point], capture_output=True)
    left = listed(root)
    if left:
        raise ChrootError(f"still mounted under {root}: {left}")


def unmount_inside(root):
    """Everything under the chroot unmounted (verified), its tmpfs kept."""
    unmount(root, keep_root=True)


def remove(root):
    """The only way a chroot is deleted: unmount and verify, then delete
    without crossing into any other file system."""
    root = os.path.realpath(root)
    if root in ("/", "") or not Path(root).is_relative_to(BUILD):
        raise ChrootError(f"refusing to remove {root}: not under {BUILD}")
    if not os.path.lexists(root):
        return
    unmount(root)
    # Checked again just before: nothing may have been mounted in between.
    if mounts_under(root):
        raise ChrootError(f"mounted again under {root}: {mounts_under(root)}")
    run(["rm", "-rf", "--one-file-system", root])


# --- commands in a chroot ------------------------------------------------------
CHROOT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"}


def chroot_command(root, command, user=None):
    spec = [f"--userspec={user}:{user}"] if user else []
    return ["chroot", *spec, str(root), *command]


def run_in(root, command, user=None, env=None, check=True, timeout=1800, input=None):
    """``command`` in the chroot (as ``user`` when given), with a clean
    environment plus ``env``; its stdout."""
    done = subprocess.run(chroot_command(root, command, user), env={**CHROOT_ENV, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, input=input)
    if check and done.returncode:
        raise ChrootError(f"in {root}: {' '.join(command)} exited {done.returncode}:\n"
                          f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def apt_get(root, suite, *args):
    return run_in(root, ["apt-get", "-q", "-y", *suite.apt_options(), *args])


# --- build, keep, unpack -----------------------------------------------------------
def ensure_debootstrap():
    if not shutil.which("debootstrap"):
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "install", "-y", "-qq", "debootstrap"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def packages_key(packages):
    return hashlib.sha256(" ".join(sorted(packages)).encode()).hexdigest()[:12]


def tarball(name):
    return BUILD / f"{name}.tar"


def is_current(name, packages=PACKAGES):
    """The tarball exists and was built with this package list."""
    stamp = BUILD / f"{name}.tar.packages"
    return tarball(name).exists() and stamp.exists() and \
        stamp.read_text().strip() == packages_key(packages)


def build(name, packages=PACKAGES, log=print):
    """debootstrap the suite, install ``packages`` with apt (no recommends,
    no service started), and keep the result as build/distros/NAME.tar."""
    suite = SUITES[name]
    ensure_debootstrap()
    BUILD.mkdir(parents=True, exist_ok=True)
    root = BUILD / f"{name}.build"
    fresh_root(root)
    started = time.monotonic()
    try:
        run(["debootstrap", "--variant=minbase", suite.codename, str(root), MIRROR]
            + ([suite.script] if suite.script else []))
        log(f"{name}: debootstrap {time.monotonic() - started:.0f} s")
        # debootstrap unmounts its own mounts on exit; nothing may be left.
        left = mounts_inside(root)
        if left:
            raise ChrootError(f"debootstrap left {left} mounted")
        # Packages must not start their services in a chroot.
        policy = root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
        mount(root)
        apt_get(root, suite, "update")
        apt_get(root, suite, "install", "--no-install-recommends", *packages)
        apt_get(root, suite, "clean")
        log(f"{name}: packages {time.monotonic() - started:.0f} s")
        unmount_inside(root)
        partial = tarball(name).with_suffix(".tar.partial")
        run(["tar", "-C", str(root), "--one-file-system", "--numeric-owner", "-cf",
             str(partial), "."])
        partial.rename(tarball(name))
        (BUILD / f"{name}.tar.packages").write_text(packages_key(packages) + "\n")
        log(f"{name}: built {tarball(name)} in {time.monotonic() - started:.0f} s")
    finally:
        remove(root)
    return tarball(name)


def ensure_built(name, packages=PACKAGES, log=print):
    if not is_current(name, packages):
        build(name, packages, log)
    return tarball(name)


def unpack(name, root):
    """A fresh chroot at ``root`` from the suite's tarball (built when absent),
    with proc, devpts and /dev/shm mounted."""
    ensure_built(name)
    root = Path(root)
    fresh_root(root)
    run(["tar", "-C", str(root), "--numeric-owner", "-xf", str(tarball(name))])
    mount(root)
    return root


def versions(root, packages):
    """``{package: version}`` as dpkg in the chroot has them."""
    out = run_in(root, ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *packages],
                 check=False)
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


class Chroot:
    """A chroot unpacked for a run: ``with Chroot("trixie") as chroot:``;
    removed (unmounted and verified first) on leaving."""

    def __init__(self, name, root=None):
        self.name = name
        self.suite = SUITES[name]
        self.root = Path(root or BUILD / f"{name}.run")

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def open(self):
        unpack(self.name, self.root)
        return self

    def close(self):
        remove(self.root)

    def run(self, command, **kwargs):
        return run_in(self.root, command, **kwargs)

    def apt_get(self, *args):
        return apt_get(self.root, self.suite, *args)

    def path(self, inside):
        """The host's path of ``inside`` (an absolute path in the chroot)."""
        return self.root / str(inside).lstrip("/")


def main(argv):
    """python -m stack.distros build trixie forky | remove trixie.run"""
    action, *names = argv
    if action == "build":
        for name in names:
            ensure_built(name)
    elif action == "remove":
        for name in names:
            remove(BUILD / name)
    else:
        raise SystemExit(main.__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
