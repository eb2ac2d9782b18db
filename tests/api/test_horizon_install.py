"""glance-rest joins each maintained release's Horizon as an operator installs
it: under that release's upper constraints (horizons/RELEASE.txt), with
``pip check`` clean and no package of Horizon's changed, only additions.

``make horizon-RELEASE`` installed Horizon from PyPI under the release's
constraints and recorded ``pip freeze`` (.venv-horizon-RELEASE/horizon-freeze.txt)
before installing this checkout's wheel under the same file; this compares
that record with what the environment holds now.
"""

import os
import subprocess

import pytest

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


def pip(release, *args):
    env = {**os.environ,
           "PIP_CONSTRAINT": f"{ROOT}/horizons/{release}.txt {ROOT}/horizons/build.txt"}
    return subprocess.run([str(horizon_venv(release) / "bin" / "pip"),
                           "--disable-pip-version-check", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


@pytest.fixture(params=horizons())
def release(request):
    return request.param


def test_only_additions_and_pip_check_is_clean(release):
    before = frozen((horizon_venv(release) / "horizon-freeze.txt").read_text().splitlines())
    after = frozen(pip(release, "freeze", "--all").stdout.splitlines())
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
    check = pip(release, "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_checkout_installs_under_the_releases_constraints(release):
    """``pip install <checkout> -c <release>.txt`` resolves, and would install
    nothing but glance-rest into that Horizon."""
    dry = pip(release, "install", "--dry-run", str(ROOT))
    assert dry.returncode == 0, dry.stdout[-2000:] + dry.stderr[-2000:]
    would = [line for line in dry.stdout.splitlines() if line.startswith("Would install")]
    assert would == ["Would install glance-rest-0.1.0"], dry.stdout[-2000:]
