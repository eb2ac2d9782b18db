"""The declared floors (setup.cfg) are the versions make test-floors installs
(floors.txt), each admitted by the oldest maintained OpenStack release
(horizons/2025.1.txt), and the code's own Python floor is the declared one."""

import configparser
import re
from importlib import metadata
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from stack.testing import ROOT


def declared():
    """{name: floor} of install_requires and the server extra."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = (config["options"]["install_requires"] + "\n"
             + config["options.extras_require"]["server"]).splitlines()
    floors = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            lower = [s.version for s in requirement.specifier if s.operator == ">="]
            assert len(lower) == 1, f"{line}: one >= floor"
            floors[requirement.name.lower()] = Version(lower[0])
    return floors


def pins(path):
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)===?([^;\s]+)", line)
        if match:
            found[match.group(1).lower()] = Version(match.group(2))
    return found


def test_the_installed_packages_meet_install_requires():
    """What the tests run on satisfies install_requires: in make
    test-distro-tiers, Debian 13's and forky's own packages, so that pip
    installing this app there would replace none of them."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    unmet = {}
    for line in config["options"]["install_requires"].splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            try:
                installed = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                installed = None
            if installed is None or not requirement.specifier.contains(installed, True):
                unmet[line] = installed
    assert unmet == {}


def test_floors_txt_holds_exactly_the_declared_floors():
    assert pins(ROOT / "floors.txt") == declared()


def test_every_floor_is_admitted_by_the_oldest_release():
    release = pins(ROOT / "horizons" / "2025.1.txt")
    too_high = {name: (str(floor), str(release[name])) for name, floor in declared().items()
                if name in release and floor > release[name]}
    assert too_high == {}
    # multipart is pinned by no release: the only floor that is ours alone.
    assert set(declared()) - set(release) == {"multipart"}


def test_the_code_needs_no_newer_python_than_declared():
    """vermin reads every module's syntax and standard-library use."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    floor = config["options"]["python_requires"].strip().removeprefix(">=")
    vermin = str(Path(sys.executable).parent / "vermin")
    done = subprocess.run([vermin, "--no-tips", "--violations",
                           "--eval-annotations", f"-t={floor}-", "glance_rest"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_python_running_the_tests_is_a_classifier():
    """The classifiers list the Pythons the tests run on: the host's, and
    Debian 13's and forky's (make test-distro-tiers runs this there)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    running = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert running in config["metadata"]["classifiers"].splitlines()
