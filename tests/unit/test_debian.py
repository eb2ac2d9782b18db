"""The Debian package (debian/) says what setup.cfg says: each of
install_requires is a Depends on Debian's package of it, with the same bounds,
and the package's version is setup.cfg's, so the two cannot drift. What the
built package holds is tests/distros/test_deb.py's (make test-deb)."""

import configparser
import re

from packaging.requirements import Requirement

from stack.testing import ROOT

# setup.cfg's operators in Debian's relations (Policy 7.1).
OPERATORS = {">=": ">=", "<": "<<", "<=": "<=", ">": ">>", "==": "="}
# A Debian package has no extras: the packages an extra adds are named.
EXTRAS = {("oslo.utils", "image-inspection"): ["python3-cryptography"]}
# Not a Python requirement: Debian's Horizon, which the package plugs into.
HORIZON = "openstack-dashboard"


def setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def debian_name(requirement):
    """Debian's name for a distribution (Python policy: python3-<module>)."""
    return "python3-" + requirement.name.lower().removeprefix("python-")


def required():
    """{(Debian package, operator, upstream version)} of install_requires;
    an unversioned package has (name, None, None)."""
    relations = set()
    for line in setup_cfg()["options"]["install_requires"].splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        relations |= {(debian_name(requirement), OPERATORS[s.operator], s.version)
                      for s in requirement.specifier}
        for extra in requirement.extras:
            relations |= {(name, None, None) for name in EXTRAS[(requirement.name, extra)]}
    return relations


def control_depends():
    """[(package, operator, version)] of python3-glance-rest's Depends in
    debian/control, substitution variables left out."""
    stanzas = (ROOT / "debian" / "control").read_text().split("\n\n")
    binary = next(s for s in stanzas if s.startswith("Package: python3-glance-rest"))
    field = re.search(r"^Depends:(.*?)(?=^\S|\Z)", binary, re.M | re.S).group(1)
    relations = []
    for relation in filter(None, (r.strip() for r in field.split(","))):
        if relation.startswith("${"):
            continue
        match = re.fullmatch(r"(\S+)(?:\s*\((<<|<=|=|>=|>>)\s*(\S+)\))?", relation)
        assert match, f"debian/control: cannot read {relation!r}"
        relations.append(match.groups())
    return relations


def upstream(version):
    """A Debian version's upstream part: no epoch, no revision."""
    return version.split(":", 1)[-1].rsplit("-", 1)[0] if version else None


def test_control_depends_are_install_requires_in_debian_names():
    depends = {(name, op, upstream(version)) for name, op, version in control_depends()
               if name != HORIZON}
    assert depends == required()


def test_control_depends_on_a_maintained_horizon():
    """Debian's Horizon plugins depend on openstack-dashboard; the oldest
    maintained release is 2025.1 (Horizon 25.3, epoch 3 in Debian)."""
    assert (HORIZON, ">=", "3:25.3.0") in control_depends()


def test_changelog_version_is_setup_cfg_version():
    top = (ROOT / "debian" / "changelog").read_text().splitlines()[0]
    assert re.match(r"glance-rest \((\S+)\)", top).group(1) == setup_cfg()["metadata"]["version"]
