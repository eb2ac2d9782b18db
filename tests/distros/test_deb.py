"""make deb: the package Debian's own tools build from this checkout
(debian/), read back as dpkg, lintian and apt see it, and its settings snippet
loaded in a Horizon with the package installed and after `apt remove`.
Installing it into Debian 13 and forky with Debian's Horizon and Apache is
make test-distros'. Run by make test-deb: it builds twice (the checkout, then a
fresh clone; 17 to 45 s each on this machine's 2 shared cores), and apt's look
at Debian's archive needs deb.debian.org (2 to 4 minutes in all)."""

import re
import subprocess
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from stack.testing import ROOT, horizon_venv
from tests.unit.test_debian import control_depends, setup_cfg

VERSION = setup_cfg()["metadata"]["version"]
DEB_NAME = f"python3-glance-rest_{VERSION}_all.deb"
SNIPPET = "etc/openstack-dashboard/local_settings.d/_1000_glance_rest.py"
DIST_PACKAGES = "usr/lib/python3/dist-packages/"
# The suites d-distros' chroots run; apt resolves the package there from Debian's archive.
SUITES = ["trixie", "forky"]


def run(*args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, check=True, **kwargs).stdout


def checkout_state(folder):
    """What git sees in the checkout outside build/, ignored files included."""
    lines = run("git", "status", "--porcelain", "--ignored", cwd=folder).splitlines()
    return sorted(line for line in lines if not line[3:].startswith("build/"))


def make_deb(folder):
    """make deb in folder: (the .deb, make's output, seconds)."""
    start = time.monotonic()
    make = subprocess.run(["make", "--no-print-directory", "deb"], cwd=folder,
                          capture_output=True, text=True)
    seconds = time.monotonic() - start
    assert make.returncode == 0, (make.stdout + make.stderr)[-4000:]
    return folder / "build" / "deb" / DEB_NAME, make.stdout + make.stderr, seconds


def members(deb):
    """The package's files (not its folders), without the leading ./"""
    return {line.split()[-1][2:] for line in run("dpkg-deb", "-c", str(deb)).splitlines()
            if not line.startswith("d")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    before = checkout_state(ROOT)
    deb, output, seconds = make_deb(ROOT)
    root = tmp_path_factory.mktemp("deb-root")
    run("dpkg-deb", "-x", str(deb), str(root))
    return SimpleNamespace(deb=deb, output=output, seconds=seconds, root=root,
                           before=before, after=checkout_state(ROOT))


def field(deb, name):
    return run("dpkg-deb", "-f", str(deb), name).strip()


def test_make_deb_leaves_the_checkout_as_it_was(built):
    assert built.after == built.before


def test_the_package_is_named_as_debian_names_horizon_plugins(built):
    """Source glance-rest, binary python3-glance-rest: as heat-dashboard's
    python3-heat-dashboard and manila-ui's python3-manila-ui."""
    assert {name: field(built.deb, name) for name in
            ("Package", "Source", "Version", "Architecture", "Section")} == {
        "Package": "python3-glance-rest", "Source": "glance-rest", "Version": VERSION,
        "Architecture": "all", "Section": "python"}


def test_the_package_holds_the_app_its_snippet_and_docs_only(built):
    files = members(built.deb)
    app = {f"{DIST_PACKAGES}{path}" for path in
           run("git", "ls-files", "glance_rest", cwd=ROOT).splitlines()}
    assert app <= files  # every module, openapi.json and panel_files
    dist_info = f"{DIST_PACKAGES}glance_rest-{VERSION}.dist-info/"
    rest = {path for path in files - app - {SNIPPET}
            if not path.startswith((dist_info, "usr/share/doc/python3-glance-rest/",
                                    "usr/share/lintian/overrides/python3-glance-rest"))}
    assert rest == set()
    assert f"{dist_info}METADATA" in files


def test_depends_are_debian_packages_as_debian_control_says(built):
    """Nothing but debian/control's own relations and python3:any: what
    dh_python3 maps from setup.cfg (${python3:Depends}) adds no other
    package and no other bound."""
    depends = field(built.deb, "Depends").split(", ")
    declared = [f"{name} ({op} {version})" if op else name
                for name, op, version in control_depends()]
    assert sorted(depends) == sorted(declared + ["python3:any"])


def test_lintian_reports_no_error(built):
    """make deb runs lintian on what it built; its tags are in make's output."""
    tags = [line for line in built.output.splitlines()
            if re.match(r"[EWIPX]: (python3-)?glance-rest", line)]
    assert "lintian" in built.output
    assert [tag for tag in tags if tag.startswith("E:")] == []


def test_the_snippet_is_the_one_conffile(built):
    """Root's, readable by Apache's www-data, writable by root only."""
    conffiles = run("dpkg-deb", "-I", str(built.deb), "conffiles").split()
    assert conffiles == [f"/{SNIPPET}"]
    listing = run("dpkg-deb", "-c", str(built.deb)).splitlines()
    assert [line.split()[:2] for line in listing if line.endswith(f"./{SNIPPET}")] == \
        [["-rw-r--r--", "root/root"]]
    assert (built.root / SNIPPET).read_text() == \
        (ROOT / "debian" / "local_settings.d" / "_1000_glance_rest.py").read_text()


class Dpkg:
    """dpkg on a root of its own (an empty dpkg database in a temporary
    folder). The maintainer scripts run outside it (--force-script-chrootless,
    there is no shell inside): dh_python3's byte-compiling and cleaning, all
    they do, are stubbed so that they touch nothing of this machine's."""

    def __init__(self, folder):
        self.root = folder / "root"
        for name in ("info", "updates", "triggers"):
            (self.root / "var/lib/dpkg" / name).mkdir(parents=True)
        for name in ("status", "available"):
            (self.root / "var/lib/dpkg" / name).write_text("")
        tools = folder / "bin"
        tools.mkdir()
        stubbed = {"py3compile", "py3clean", "pypy3compile", "pypy3clean"}
        for name in stubbed:
            (tools / name).write_text("#!/bin/sh\nexit 0\n")
            (tools / name).chmod(0o755)
        for system in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
            for tool in Path(system).iterdir():
                if tool.name not in stubbed and not (tools / tool.name).exists():
                    (tools / tool.name).symlink_to(tool)
        self.env = {"PATH": str(tools)}

    def __call__(self, *args):
        """dpkg's answer; the dependencies are not installed here."""
        return run("dpkg", f"--root={self.root}", "--force-depends",
                   "--force-script-chrootless", *args, env=self.env)

    def has(self, path):
        return (self.root / path).exists()


def test_dpkg_remove_keeps_the_snippet_purge_deletes_it_a_deleted_one_stays_deleted(
        built, tmp_path):
    """What debian/README.Debian tells the administrator, done by dpkg."""
    dpkg = Dpkg(tmp_path)
    module = f"{DIST_PACKAGES}glance_rest/horizon/urls.py"
    dpkg("-i", str(built.deb))
    assert dpkg.has(SNIPPET) and dpkg.has(module)
    # Installed but not mounted: the snippet deleted stays deleted.
    (dpkg.root / SNIPPET).unlink()
    dpkg("-i", str(built.deb))
    assert not dpkg.has(SNIPPET)
    dpkg("--force-confmiss", "-i", str(built.deb))  # mounted again
    assert dpkg.has(SNIPPET)
    # Removed: the module goes, the snippet (a conffile) stays.
    dpkg("-r", "python3-glance-rest")
    assert dpkg.has(SNIPPET) and not dpkg.has(module)
    # Purged: nothing left but dpkg's own records.
    dpkg("-P", "python3-glance-rest")
    left = [path for path in dpkg.root.rglob("*")
            if path.is_file() and "var/lib/dpkg" not in str(path)]
    assert left == []


class Apt:
    """apt-get and apt-cache on one suite of Debian's archive, with a state of
    their own under build/apt-sim/ and nothing installed: apt answers as on a
    new system of that suite."""

    def __init__(self, suite):
        self.folder = ROOT / "build" / "apt-sim" / suite
        (self.folder / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (self.folder / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        (self.folder / "status").write_text("")
        (self.folder / "sources.list").write_text(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
            f"http://deb.debian.org/debian {suite} main\n")
        folder = self.folder
        self.options = [
            f"-oDir::Etc::SourceList={folder}/sources.list", "-oDir::Etc::SourceParts=/dev/null",
            f"-oDir::State::Lists={folder}/lists", f"-oDir::State::status={folder}/status",
            f"-oDir::Cache={folder}/cache", "-oDir::Etc::Preferences=/dev/null",
            "-oDir::Etc::PreferencesParts=/dev/null",
            # Testing's Release file can be past its Valid-Until (STACK_FACTS.md).
            "-oAcquire::Check-Valid-Until=false", "-oAcquire::PDiffs=false"]
        run("apt-get", *self.options, "update", "-qq")

    def simulate_install(self, deb):
        return subprocess.run(["apt-get", *self.options, "-s", "install", str(deb)],
                              capture_output=True, text=True)

    def candidates(self, packages):
        """{package: the version apt would install}"""
        policy = run("apt-cache", *self.options, "policy", *packages)
        return dict(re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)", policy, re.M))


def epoch(version):
    return version.split(":", 1)[0] if ":" in version else "0"


@pytest.mark.parametrize("suite", SUITES)
def test_apt_installs_it_from_the_suites_own_packages(built, suite):
    """apt resolves every Depends from the suite alone (nothing from PyPI),
    and each bound carries the epoch Debian's package has, so that no bound
    is met by an older version with a higher epoch."""
    apt = Apt(suite)
    simulated = apt.simulate_install(built.deb)
    assert simulated.returncode == 0, simulated.stdout[-3000:] + simulated.stderr
    assert re.search(r"^Inst python3-glance-rest ", simulated.stdout, re.M)
    assert re.search(r"^Inst openstack-dashboard ", simulated.stdout, re.M)
    versioned = [(name, op, version) for name, op, version in control_depends() if version]
    candidates = apt.candidates({name for name, _, _ in versioned})
    assert [(name, op, version, candidates[name]) for name, op, version in versioned
            if epoch(version) != epoch(candidates[name])] == []


# Horizon's settings (stack/horizon_site), then the snippet in their namespace,
# as openstack_dashboard/settings.py runs local_settings.d/; then which view
# answers Horizon's /api/glance/images/.
SITE = """
from stack.horizon_site.settings import *  # noqa
exec(open({snippet!r}).read())
"""
PROBE = textwrap.dedent("""
    import sys
    removed, packaged = sys.argv[1] == "removed", sys.argv[2]
    if removed:  # apt remove: the module is gone, the conffile stays
        sys.modules["glance_rest"] = None
    else:
        sys.path.insert(0, packaged)
    import django
    from django.conf import settings
    from django.urls import resolve
    django.setup()
    view = resolve("/api/glance/images/").func
    origin = "" if removed else sys.modules["glance_rest"].__file__
    print(view.__module__, "glance_rest" in settings.INSTALLED_APPS, origin)
""")


@pytest.mark.parametrize("state", ["installed", "removed"])
@pytest.mark.parametrize("release", ["2025.1", "2026.2"])
def test_the_snippet_mounts_the_packaged_app_and_nothing_once_removed(
        built, tmp_path, release, state):
    """Installed: Horizon's /api/glance/ is the packaged glance_rest's. After
    `apt remove` (the conffile left behind): stock Horizon's own view, not an
    error. After `apt purge` the snippet is gone: stock Horizon."""
    (tmp_path / "debian_site.py").write_text(SITE.format(snippet=str(built.root / SNIPPET)))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{ROOT}",
           "DJANGO_SETTINGS_MODULE": "debian_site", "SECRET_KEY": "test-only",
           "HORIZON_DATA_DIR": str(tmp_path / "cache"),
           "HORIZON_STATIC_ROOT": str(tmp_path / "static")}
    python = horizon_venv(release) / "bin" / "python"
    probe = subprocess.run([str(python), "-c", PROBE, state, str(built.root / DIST_PACKAGES)],
                           env=env, cwd=tmp_path, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr[-3000:]
    answer = probe.stdout.split()
    if state == "installed":
        module, listed, origin = answer
        assert module.startswith("glance_rest.") and listed == "True"
        assert origin.startswith(str(built.root / DIST_PACKAGES))
    else:
        assert answer == ["openstack_dashboard.api.rest.glance", "False"]


def test_make_deb_builds_from_a_fresh_clone(built, tmp_path):
    """A clone holds no build/ and no virtualenv: make deb needs neither,
    and builds the same files."""
    clone = tmp_path / "clone"
    run("git", "clone", "-q", str(ROOT), str(clone))
    deb, _, seconds = make_deb(clone)
    assert members(deb) == members(built.deb)
    assert checkout_state(clone) == []
