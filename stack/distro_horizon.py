"""Debian's own Horizon, as a Debian operator runs it, for the inside-Horizon
tests (make test-distros, HORIZON_DISTROS="trixie forky"): a chroot of the
suite (stack.distros) with Debian's openstack-dashboard-apache and memcached,
this app's Debian package installed with apt, and only what a site sets.
Apache and memcached run in the chroot on the host's loopback (a chroot shares
the network), so Chromium, the stack and the tests stay on the host."""

import shutil
import subprocess
from pathlib import Path

from stack import distros
from stack.runner import stop_process
from stack.testing import REGION, ROOT, HorizonServer, free_port

# Debian's settings folder: local_settings.py, then local_settings.d/*.py in order.
SETTINGS_D = "/etc/openstack-dashboard/local_settings.d"
# Debian's Apache site for Horizon (WSGIScriptAlias /horizon).
DEBIAN_SITE = "/etc/apache2/sites-available/openstack-dashboard-alias-only.conf"

# What a site sets, after Debian's _0001-_0006 files.
SITE_SETTINGS = """\
# This site's settings (stack.distro_horizon): after Debian's own files.
OPENSTACK_KEYSTONE_URL = {keystone_url!r}
# The cloud has two regions: without it Horizon takes the catalog's first.
DEFAULT_SERVICE_REGIONS = {{"*": {region!r}}}
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Debian's default is a per-process LocMem cache, which holds the sessions:
# memcached, shared by Apache's processes.
CACHES = {{"default": {{
    "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
    "LOCATION": "127.0.0.1:{memcached_port}",
}}}}
HORIZON_IMAGES_UPLOAD_MODE = {upload_mode!r}
# Create Image offers a URL source.
IMAGES_ALLOW_LOCATION = True
"""

PORTS = """\
# stack.distro_horizon: loopback only, ports free on the host.
Listen 127.0.0.1:{port}
Listen 127.0.0.1:{stock_port}
"""

# The same Horizon without this app, for the tests' comparisons: a second site
# on its own port, in a mod_wsgi daemon of its own (two Django settings cannot
# share an interpreter), whose settings are Debian's with the app's two lines
# undone.
STOCK_DIR = "/usr/local/share/horizon-stock"
STOCK_SITE = """\
WSGIDaemonProcess horizon-stock user=www-data group=www-data
<VirtualHost 127.0.0.1:{stock_port}>
    WSGIScriptAlias /horizon {stock_dir}/wsgi.py process-group=horizon-stock \\
        application-group=%{{GLOBAL}}
    Alias /horizon/static /var/lib/openstack-dashboard/static
    <Directory {stock_dir}>
        Require all granted
    </Directory>
</VirtualHost>
"""
STOCK_WSGI = """\
import os
import sys
sys.path.insert(0, {stock_dir!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "stock_settings"
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
"""
STOCK_SETTINGS = """\
from openstack_dashboard.settings import *  # noqa
# Stock Horizon: this app's two settings (its package's snippet) undone.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "glance_rest"]
ROOT_URLCONF = "openstack_dashboard.urls"
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": "stock"}}
"""

# What the report names, per distribution.
VERSIONS = ("openstack-dashboard", "python3", "python3-django", "python3-glanceclient",
            "python3-keystoneauth1", "python3-multipart", "python3-jsonschema",
            "python3-oslo.utils", "apache2", "libapache2-mod-wsgi-py3", "memcached",
            "python3-glance-rest")


def horizon_distros():
    """The suites this run tests (make test-distros sets HORIZON_DISTROS)."""
    import os

    return os.environ.get("HORIZON_DISTROS", "").split()


def debian_version(version):
    """(27, 0, 0) from Debian's "3:27.0.0-4"."""
    upstream = version.split(":")[-1].split("-")[0].split("~")[0]
    return tuple(int(part) for part in upstream.split(".")[:3])


def app_package():
    """This checkout's Debian package (make deb)."""
    found = sorted((ROOT / "build" / "deb").glob("python3-glance-rest_*_all.deb"))
    if not found:
        raise FileNotFoundError("no build/deb/python3-glance-rest_*_all.deb: run make deb")
    return found[-1]


class DebianHorizon(HorizonServer):
    """Debian's Horizon of one suite (``release``: trixie, forky) in a chroot,
    served by Debian's own Apache site at /horizon, this app installed from
    its Debian package with apt. ``stock()`` is the same Horizon without the
    app, a second site in the same chroot. Sessions live in memcached."""

    # Debian's site serves /horizon (the package's WEBROOT).
    WEBROOT = "/horizon/"

    def __init__(self, stack, folder, release, mounted=True, webroot=WEBROOT, **kwargs):
        if not mounted or webroot != self.WEBROOT:
            raise ValueError("Debian's Horizon is tested mounted, at /horizon/")
        super().__init__(stack, folder, mounted=True, webroot=webroot, **kwargs)
        self.release = release
        self.chroot = distros.Chroot(release)
        self.stock_port = free_port()
        self.memcached_port = free_port()
        self.memcached = None
        self.log = self.chroot.path("/var/log/apache2/error.log")
        self.versions = {}

    def start(self, timeout=300):
        if self.memcached is None:
            self._prepare()
        self.chroot.path(f"{SETTINGS_D}/_0099_site.py").write_text(SITE_SETTINGS.format(
            keystone_url=self.stack.keystone_url, region=REGION,
            memcached_port=self.memcached_port, upload_mode=self.upload_mode))
        super().start(timeout)
        self.warm_up()
        return self

    def warm_up(self, callers=4):
        """Debian's site runs Horizon in Apache's own processes, each of which
        reads every service's policy file on its first policy check: under
        this machine's load that first check took 30 s, past the tests' waits.
        A few logged-in policy checks at once, before the tests, pay for it."""
        import re
        from concurrent.futures import ThreadPoolExecutor

        import requests

        def check(_):
            with requests.Session() as session:
                form = session.get(self.url + "auth/login/", timeout=120).text
                fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
                fields.update(username="admin", password=self.stack.passwords["admin"])
                session.post(self.url + "auth/login/", data=fields, timeout=120)
                answer = session.post(
                    self.url + "api/policy/", timeout=300,
                    json={"rules": [["image", "delete_image"],
                                    ["compute", "os_compute_api:os-keypairs:index"],
                                    ["volume", "volume_extension:quotas:show"]]},
                    headers={"X-CSRFToken": session.cookies["csrftoken"],
                             "X-Requested-With": "XMLHttpRequest"})
                answer.raise_for_status()

        with ThreadPoolExecutor(callers) as pool:
            list(pool.map(check, range(callers)))

    def _prepare(self):
        """Unpack the chroot, install the app's package, set up Apache and
        memcached as a site does."""
        chroot = self.chroot.open()
        try:
            package = app_package()
            shutil.copy(package, chroot.path("/tmp"))
            # Its dependencies are in the tarball already (stack.distros.PACKAGES);
            # the chroot has no pip.
            (self.folder / "apt.log").write_text(chroot.apt_get(
                "install", "--no-install-recommends", f"/tmp/{package.name}"))
            self.versions = distros.versions(chroot.root, VERSIONS)
            self.versions["python"] = chroot.run(
                ["python3", "-c", "import platform; print(platform.python_version())"]).strip()
            # What make test-distros prints at its end.
            (distros.BUILD / f"{self.release}.versions").write_text("".join(
                f"{self.release} {name} {version}\n" for name, version in self.versions.items()))
            self.version = debian_version(self.versions["openstack-dashboard"])
            self._configure_apache()
            self.memcached = subprocess.Popen(
                distros.chroot_command(chroot.root, [
                    "memcached", "-l", "127.0.0.1", "-p", str(self.memcached_port), "-U", "0",
                    "-u", "memcache", "-m", "64"]),
                env=distros.CHROOT_ENV, start_new_session=True)
        except BaseException:
            self.stop()
            raise
        # Where log_in's failure message looks for the requests Horizon served.
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "access.log").unlink(missing_ok=True)
        (self.folder / "access.log").symlink_to(
            chroot.path("/var/log/apache2/other_vhosts_access.log"))

    def _configure_apache(self):
        chroot = self.chroot
        chroot.path("/etc/apache2/ports.conf").write_text(PORTS.format(
            port=self.port, stock_port=self.stock_port))
        chroot.run(["a2dissite", "-q", "000-default", "default-ssl"])
        if self.release == "trixie":
            # Debian 13's site as shipped answers 500 to every page (PyO3's
            # cryptography refuses a mod_wsgi sub-interpreter): the one line
            # docs/horizon.md gives operators.
            site = chroot.path(DEBIAN_SITE)
            site.write_text(site.read_text() + "WSGIApplicationGroup %{GLOBAL}\n")
        stock = chroot.path(STOCK_DIR)
        stock.mkdir(parents=True)
        (stock / "wsgi.py").write_text(STOCK_WSGI.format(stock_dir=STOCK_DIR))
        (stock / "stock_settings.py").write_text(STOCK_SETTINGS)
        chroot.path("/etc/apache2/sites-available/horizon-stock.conf").write_text(
            STOCK_SITE.format(stock_port=self.stock_port, stock_dir=STOCK_DIR))
        chroot.run(["a2ensite", "-q", "horizon-stock"])

    def _launch(self):
        return subprocess.Popen(
            distros.chroot_command(self.chroot.root, ["apache2ctl", "-DFOREGROUND"]),
            env=distros.CHROOT_ENV, stdout=open(self.folder / "apache.out", "ab"),
            stderr=subprocess.STDOUT, start_new_session=True)

    def expire_session(self, session_key):
        """As HorizonServer's, with Debian's settings, in the chroot as www-data."""
        script = (ROOT / "stack" / "horizon_site" / "expire_session.py").read_text()
        self.chroot.run(["python3", "-", session_key], user="www-data", input=script,
                        env={"DJANGO_SETTINGS_MODULE": "openstack_dashboard.settings"},
                        timeout=60)

    def stop_apache(self):
        """Apache's processes all gone (apache2ctl's shell ends first; its
        children and mod_wsgi's daemons would keep the port a while)."""
        stop_process(self.process)
        distros.stop_processes(self.chroot.root, "apache2")

    def restart(self, **changes):
        """Apache again, with the site file changed (e.g. upload_mode)."""
        self.stop_apache()
        self._configure(**{"mounted": True, "upload_mode": self.upload_mode,
                           "webroot": self.webroot, "extra_env": self.extra_env, **changes})
        return self.start()

    def stop(self):
        if self.chroot.root.is_dir():
            self.stop_apache()
        stop_process(self.memcached)
        self.memcached = None
        # Apache's logs outlive the chroot, in the run's folder.
        logs = self.chroot.path("/var/log/apache2")
        if logs.is_dir():
            shutil.copytree(logs, self.folder / "apache2", dirs_exist_ok=True)
        self.log = self.folder / "apache2" / "error.log"
        # Stops what is left in it, unmounts, checks, then deletes.
        self.chroot.close()

    def stock(self, folder):
        return DebianStock(self, folder)


class DebianStock(HorizonServer):
    """The stock site of a DebianHorizon (same chroot, Apache and memcached):
    nothing to start or stop of its own."""

    def __init__(self, horizon, folder):
        super().__init__(horizon.stack, folder, mounted=False, webroot=horizon.webroot,
                         port=horizon.stock_port)
        self.release = horizon.release
        self.log = horizon.log
        self.process = horizon.process

    def _launch(self):
        return self.process

    def stop(self):
        pass
