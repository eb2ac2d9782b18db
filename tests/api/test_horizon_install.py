"""glance-rest joins each maintained release's Horizon as an operator installs
it: under that release's upper constraints (horizons/RELEASE.txt), with
``pip check`` clean and no package of Horizon's changed, only additions.

``make horizon-RELEASE`` installed Horizon from PyPI under the release's
constraints and recorded ``pip freeze`` (.venv-horizon-RELEASE/horizon-freeze.txt)
before installing this checkout's wheel under the same file; this compares
that record with what the environment holds now.

kolla's Debian images run Debian 13's Python 3.13: ``make test-kolla-python``
does the same in a trixie chroot (stack/distro_tiers.py) for the releases in
KOLLA_HORIZONS and names the chroot in KOLLA_CHROOT; each is then checked here
too, its pip run in the chroot.
"""

import os
import subprocess
from pathlib import Path

import pytest

from stack import distro_tiers, distros
from stack.testing import ROOT, horizon_venv, horizons

pytestmark = pytest.mark.slow

# What glance-rest may add to a Horizon: itself, and what no release pins.
ALLOWED_ADDITIONS = {"glance-rest", "multipart"}


def frozen(lines):
    """{normalised name: version} of ``pip freeze`` lines."""
    packages = {}
    for line in lines:
        # A package installed from a file freezes as "name @ file:///...".
        for separator in ("==", " @ "):
            if separator in line and not line.startswith("#"):
                name, version = line.split(separator, 1)
                packages[name.strip().lower().replace("_", "-").replace(".", "-")] = version
                break
    return packages


class Horizon:
    """A release's Horizon environment: the host's (Python 3.11) or, with
    ``chroot``, kolla's on Debian 13's Python in that chroot."""

    def __init__(self, release, chroot=None):
        self.release = release
        self.chroot = chroot

    def __str__(self):
        return self.release + ("-py3.13-kolla" if self.chroot else "-py3.11")

    @property
    def venv(self):
        """The environment's folder, as the host sees it."""
        if self.chroot:
            return self.chroot / distro_tiers.kolla_venv(self.release).lstrip("/")
        return horizon_venv(self.release)

    @property
    def checkout(self):
        return distro_tiers.CHECKOUT if self.chroot else str(ROOT)


def pip(horizon, *args):
    if horizon.chroot:
        return subprocess.run(distros.chroot_command(
            horizon.chroot, distro_tiers.kolla_pip(horizon.release) + list(args)),
            capture_output=True, text=True, env=distros.CHROOT_ENV, timeout=300)
    release = horizon.release
    env = {**os.environ,
           "PIP_CONSTRAINT": f"{ROOT}/horizons/{release}.txt {ROOT}/horizons/build.txt"}
    return subprocess.run([str(horizon_venv(release) / "bin" / "pip"),
                           "--disable-pip-version-check", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def environments():
    found = [Horizon(release) for release in horizons()]
    chroot = os.environ.get("KOLLA_CHROOT")
    if chroot:
        found += [Horizon(release, Path(chroot))
                  for release in os.environ["KOLLA_HORIZONS"].split()]
    return found


@pytest.fixture(params=environments(), ids=str)
def horizon(request):
    return request.param


def test_only_additions_and_pip_check_is_clean(horizon):
    release = horizon.release
    before = frozen((horizon.venv / "horizon-freeze.txt").read_text().splitlines())
    after = frozen(pip(horizon, "freeze", "--all").stdout.splitlines())
    assert "horizon" in before and "django" in before
    changed = {name: (version, after.get(name)) for name, version in before.items()
               if after.get(name) != version}
    assert changed == {}, f"changed under Horizon ({release}): {changed}"
    added = set(after) - set(before)
    assert "glance-rest" in added
    assert added <= ALLOWED_ADDITIONS, added
    pinned = frozen(line.replace("===", "==").split(";")[0]
                    for line in (ROOT / "horizons" / f"{release}.txt").read_text().splitlines())
    assert not (added - {"glance-rest"}) & set(pinned), "an addition the release pins"
    check = pip(horizon, "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_checkout_installs_under_the_releases_constraints(horizon):
    """``pip install <checkout> -c <release>.txt`` resolves, and would install
    nothing but glance-rest into that Horizon."""
    dry = pip(horizon, "install", "--dry-run", horizon.checkout)
    assert dry.returncode == 0, dry.stdout[-2000:] + dry.stderr[-2000:]
    would = [line for line in dry.stdout.splitlines() if line.startswith("Would install")]
    assert would == ["Would install glance-rest-0.1.0"], dry.stdout[-2000:]
