"""The stack and the API as the tests and the bench start them (imported from
the API's virtualenv, not the stack's): an isolated embedded stack with its
own temporary data folder and free ports, so tests never touch ``make run``'s
data and two runs cannot collide. It is the same ``python -m stack run`` that
``make run`` uses, started as a child process."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from glanceclient import Client as GlanceClient
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from stack.runner import NoAnswer, first_status, stop_process

ROOT = Path(__file__).resolve().parents[1]
STACK_PYTHON = os.environ.get("STACK_PYTHON", str(ROOT / ".venv-stack" / "bin" / "python"))
PROJECTS = {"admin": "admin", "demo": "demo", "alt_demo": "alt_demo"}
# The main Glance's region; the test stack's second, schemaless Glance is in PLAIN_REGION.
REGION = "RegionOne"
PLAIN_REGION = "RegionTwo"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StackProcess:
    def __init__(self, data_dir, keystone_port=None, glance_port=None, import_port=None,
                 plain_glance=False):
        self.data_dir = Path(data_dir)
        self.keystone_port = keystone_port or free_port()
        self.glance_port = glance_port or free_port()
        self.import_port = import_port or free_port()
        # A second Glance without schema-image.json, in region RegionTwo.
        self.plain_glance_port = free_port() if plain_glance else None
        # An API server in direct-upload mode, whose pages Glance accepts
        # cross-origin uploads from (its port is chosen before Glance starts).
        self.direct_api_port = free_port()
        # Horizon's port: its direct upload mode sends the browser straight to Glance.
        self.horizon_port = free_port()
        self.ready_file = self.data_dir.parent / f"{self.data_dir.name}.ready.json"
        self.output = self.data_dir.parent / f"{self.data_dir.name}.out.log"
        self.process = None
        self.info = None
        # Accounts made by add_member: user -> (password, project).
        self.extra_accounts = {}

    # What tests run elsewhere need of a running stack (describe, attach).
    PORTS = ("keystone_port", "glance_port", "import_port", "plain_glance_port",
             "direct_api_port", "horizon_port")

    def describe(self):
        """The running stack as JSON-able data, for ``attach``."""
        return {"data_dir": str(self.data_dir), "info": self.info,
                **{name: getattr(self, name) for name in self.PORTS}}

    @classmethod
    def attach(cls, description):
        """A stack started by someone else (``describe``): the tests use it
        and neither start nor stop it. make test-distro-tiers starts one on
        the host for tests run in a Debian chroot (GLANCE_REST_TEST_STACK)."""
        stack = cls(description["data_dir"])
        for name in cls.PORTS:
            setattr(stack, name, description[name])
        stack.info = description["info"]
        return stack

    def glance_policy_defaults(self):
        """Glance's own check string for each policy rule, asked once of the
        stack's Glance package and kept in its data folder: tests run in a
        Debian chroot (make test-distro-tiers) read what the host wrote there."""
        kept = Path(self.data_dir) / "glance-policy-defaults.json"
        if not kept.exists():
            script = ("import json; from glance.policies import list_rules; "
                      "print(json.dumps({r.name: r.check_str for r in list_rules()}))")
            kept.write_text(subprocess.run([STACK_PYTHON, "-c", script], capture_output=True,
                                           text=True, check=True, timeout=60).stdout)
        return json.loads(kept.read_text())

    @property
    def keystone_url(self):
        return f"http://127.0.0.1:{self.keystone_port}/v3"

    @property
    def glance_url(self):
        return f"http://127.0.0.1:{self.glance_port}"

    def command(self):
        return [STACK_PYTHON, "-m", "stack", "run",
                "--data-dir", str(self.data_dir),
                "--keystone-port", str(self.keystone_port),
                "--glance-port", str(self.glance_port),
                "--import-port", str(self.import_port),
                "--ready-file", str(self.ready_file),
                "--cors-origin", f"http://127.0.0.1:{self.direct_api_port}",
                "--cors-origin", f"http://127.0.0.1:{self.horizon_port}"] + (
                    ["--plain-glance-port", str(self.plain_glance_port)]
                    if self.plain_glance_port else [])

    def start(self, timeout=300):
        self.ready_file.unlink(missing_ok=True)
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(self.command(), cwd=ROOT, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"stack exited ({self.process.returncode}):\n"
                                   + self.output.read_text()[-4000:])
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("stack not ready in time:\n" + self.output.read_text()[-4000:])
            time.sleep(0.3)
        self.info = json.loads(self.ready_file.read_text())
        return self

    def stop(self, timeout=60, sig=signal.SIGTERM):
        # The stack's own command stops its servers on this signal.
        stop_process(self.process, timeout, group=False, sig=sig)

    @property
    def passwords(self):
        stored = json.loads((self.data_dir / "secrets.json").read_text())
        return {**stored, **{user: pw for user, (pw, _) in self.extra_accounts.items()}}

    def project_of(self, user):
        return PROJECTS.get(user) or self.extra_accounts[user][1]

    def project_id(self, user):
        """The id of the project ``user`` logs in to."""
        return self.session(user).get_project_id()

    def auth(self, user):
        return v3.Password(auth_url=self.keystone_url, username=user,
                           password=self.passwords[user], project_name=self.project_of(user),
                           user_domain_id="default", project_domain_id="default")

    def add_member(self, name):
        """A user ``name`` with the member role on a new project of the same
        name, made through Keystone's API as admin: a project no other test
        writes to (a Horizon table that polls while any listed image is queued
        then lists only its own). ``passwords``, ``auth`` and ``glance`` know it."""
        password = secrets.token_urlsafe(18)
        project = self.create_project(name)
        self.create_user(name, password, [project["id"]], default_project_id=project["id"])
        self.extra_accounts[name] = (password, name)
        return name

    def create_user(self, name, password, member_of, default_project_id=None):
        """A user in the default domain with the member role on each project
        (by id) of ``member_of``, made through Keystone's API as admin."""
        admin, url = self.session("admin"), self.keystone_url
        user = {"name": name, "password": password, "domain_id": "default"}
        if default_project_id:
            user["default_project_id"] = default_project_id
        user = admin.post(f"{url}/users", json={"user": user}).json()["user"]
        member = admin.get(f"{url}/roles", params={"name": "member"}).json()["roles"][0]
        for project_id in member_of:
            admin.put(f"{url}/projects/{project_id}/users/{user['id']}/roles/{member['id']}")
        return user

    def create_project(self, name):
        """A project in the default domain, made through Keystone's API as admin."""
        return self.session("admin").post(f"{self.keystone_url}/projects", json={"project": {
            "name": name, "domain_id": "default"}}).json()["project"]

    def delete_project(self, project_id):
        """Disable, then delete a project (Keystone's API, as admin); either
        step may have been done already."""
        admin, url = self.session("admin"), f"{self.keystone_url}/projects/{project_id}"
        admin.patch(url, json={"project": {"enabled": False}}, raise_exc=False)
        admin.delete(url, raise_exc=False)

    def session(self, user):
        return ks_session.Session(auth=self.auth(user))

    def token(self, user):
        return self.session(user).get_token()

    def glance(self, user):
        """A direct glanceclient for ``user``: what tests compare the API with."""
        return GlanceClient("2", session=self.session(user), region_name=REGION)


def shipped_metadefs():
    """Glance's shipped namespace files, as the stack loads them (``glance-manage
    db_load_metadefs`` of the stack virtualenv's etc/glance/metadefs, every
    ``*.json`` there, as Glance's loader reads that folder)."""
    prefix = subprocess.run([STACK_PYTHON, "-c", "import sys; print(sys.prefix)"],
                            capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    folder = Path(prefix) / "etc" / "glance" / "metadefs"
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def no_control_socket(gunicorn):
    """gunicorn 24+ opens a control socket at one path shared by every master
    on the machine: turned off. gunicorn 23 (2025.1's pin) has none."""
    help_text = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
    return ["--no-control-socket"] if "--no-control-socket" in help_text else []


APP_BIN = Path(os.environ.get("APP_VENV_BIN", str(ROOT / ".venv" / "bin")))


class ApiServer:
    """The API under gunicorn, as in production, pointed at a test stack."""

    def __init__(self, stack, folder, workers=2, extra_env=None, port=None):
        self.stack = stack
        self.folder = Path(folder)
        self.port = port or free_port()
        self.workers = workers
        self.tmpdir = self.folder / "tmp"
        self.log = self.folder / "api.log"
        # gunicorn's access log, in gunicorn.conf.py's format, as make run keeps it.
        self.access_log = self.folder / "access.log"
        self.env = {
            **os.environ,
            "GLANCE_REST_DEV": "1",
            "OPENSTACK_KEYSTONE_URL": stack.keystone_url,
            "OPENSTACK_REGION": REGION,
            "GLANCE_REST_DB": str(self.folder / "api.sqlite3"),
            "TMPDIR": str(self.tmpdir),
            "IMAGE_UPLOAD_MAX_SIZE": str(200 * 1024 * 1024),
            **(extra_env or {}),
        }
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=60):
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(APP_BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"],
                       cwd=ROOT, env=self.env, check=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(APP_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                 "--workers", str(self.workers), "--threads", "8",
                 *no_control_socket(str(APP_BIN / "gunicorn")),
                 "--worker-class", "glance_rest.gunicorn_worker.ThreadWorker",
                 "--timeout", "300", "--access-logfile", str(self.access_log),
                 "glance_rest.wsgi:application"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            first_status(self.process, self.url + "/api/glance/version/", timeout)
        except NoAnswer as why:
            raise RuntimeError(f"API server did not start ({why}):\n"
                               + self.log.read_text()[-3000:]) from None
        return self

    def stop(self):
        stop_process(self.process)


# The maintained OpenStack releases whose Horizon the tests run (horizons/);
# make test-horizons builds and runs them all (HORIZONS), make test-deb two.
HORIZON_RELEASES = ("2025.1", "2025.2", "2026.1", "2026.2")
NEWEST_HORIZON = HORIZON_RELEASES[-1]


def horizons():
    """The releases this run was built for (make sets HORIZONS)."""
    return os.environ.get("HORIZONS", NEWEST_HORIZON).split()


def apache_horizons():
    """The releases whose Horizon this run also serves under Apache (make
    test-horizons sets HORIZONS_APACHE: the oldest and the newest; CI the newest)."""
    return os.environ.get("HORIZONS_APACHE", "").split()


def horizon_venv(release):
    return ROOT / f".venv-horizon-{release}"


def horizon_version(release):
    """The Horizon version the release pins (its constraints file)."""
    for line in (ROOT / "horizons" / f"{release}.txt").read_text().splitlines():
        if line.startswith("horizon==="):
            return tuple(int(part) for part in line.split("===")[1].split("."))
    raise LookupError(f"no horizon pin for {release}")


class HorizonServer:
    """A stock Horizon of one release (stack/horizon_site, ``make
    horizon-RELEASE``) under gunicorn against a test stack, with this app
    mounted in it unless ``mounted`` is false. ``restart`` changes its settings
    on the same port and keeps its sessions (same key and cache folder) unless
    the web root changes."""

    def __init__(self, stack, folder, mounted=True, upload_mode="legacy", webroot="/",
                 port=None, extra_env=None, release=NEWEST_HORIZON, workers=2):
        self.stack = stack
        self.release = release
        self.workers = workers
        self.version = horizon_version(release)
        self.python = horizon_venv(release) / "bin" / "python"
        self.folder = Path(folder)
        self.port = port or stack.horizon_port
        self.log = self.folder / "horizon.log"
        self.secret_key = secrets.token_urlsafe(50)
        self.process = None
        self._configure(mounted, upload_mode, webroot, extra_env)

    def _configure(self, mounted, upload_mode, webroot, extra_env):
        self.mounted = mounted
        self.upload_mode = upload_mode
        self.webroot = webroot.rstrip("/") + "/"
        self.extra_env = dict(extra_env or {})

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{self.webroot}"

    @property
    def site_path(self):
        """A folder holding only the ``stack`` package (stack/horizon_site)."""
        return self.folder / "site"

    def env(self):
        env = {
            "PATH": f"{self.python.parent}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            # Only the site's package: glance_rest is the copy installed into
            # Horizon's virtualenv (make horizon), as an operator installs it.
            "PYTHONPATH": str(self.site_path),
            "SECRET_KEY": self.secret_key,
            "OPENSTACK_KEYSTONE_URL": self.stack.keystone_url,
            "OPENSTACK_REGION": REGION,
            "HORIZON_DATA_DIR": str(self.folder / "data"),
            "HORIZON_STATIC_ROOT": str(ROOT / "build" / f"horizon-{self.release}" / "static"),
            # Legacy-mode uploads are spooled here before Horizon sends them on.
            "TMPDIR": str(self.folder / "tmp"),
            "HORIZON_WEBROOT": self.webroot,
            "HORIZON_IMAGES_UPLOAD_MODE": self.upload_mode,
            "GLANCE_REST_MOUNTED": "1" if self.mounted else "0",
        }
        if self.webroot != "/":
            # gunicorn takes it off PATH_INFO, as Apache's WSGIScriptAlias does.
            env["SCRIPT_NAME"] = self.webroot.rstrip("/")
        return {**env, **self.extra_env}

    def start(self, timeout=60):
        for name in ("data", "tmp"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        self.site_path.mkdir(exist_ok=True)
        if not (self.site_path / "stack").exists():
            (self.site_path / "stack").symlink_to(ROOT / "stack")
        self.process = self._launch()
        try:
            status = first_status(self.process, self.url + "auth/login/", timeout)
        except NoAnswer as why:
            self.stop()
            raise RuntimeError(f"Horizon did not start ({why}):\n"
                               + self.log.read_text()[-3000:]) from None
        if status != 200:
            # E.g. no offline manifest for this web root (make horizon compresses),
            # whose error quotes whole scripts: the log's tail would not show it.
            self.stop()
            raise RuntimeError(f"Horizon's login page answered {status}; see {self.log}")
        return self

    def _launch(self):
        gunicorn = str(self.python.parent / "gunicorn")
        with open(self.log, "ab") as log:
            # A process per core; threads for the waits on Keystone and Glance.
            return subprocess.Popen(
                [gunicorn, "--bind", f"127.0.0.1:{self.port}",
                 "--workers", str(self.workers), "--threads", "4",
                 # As Apache's (ApacheHorizon): each request with its time (µs).
                 "--access-logfile", str(self.folder / "access.log"),
                 "--access-logformat", '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(D)s',
                 *no_control_socket(gunicorn), "stack.horizon_site.wsgi:application"],
                cwd=self.site_path, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def stop(self):
        stop_process(self.process)

    def expire_session(self, session_key):
        """Make the Keystone token of the session ``session_key`` look expired."""
        subprocess.run([str(self.python), "-m", "stack.horizon_site.expire_session", session_key],
                       cwd=self.site_path, env=self.env(), check=True, timeout=60)

    def stock(self, folder):
        """The same release's stock Horizon, nothing mounted, on another port
        of the same stack (the tests' comparisons): under gunicorn, one worker
        (it answers a few replayed requests, one at a time)."""
        return HorizonServer(self.stack, folder, mounted=False, webroot=self.webroot,
                             release=self.release, port=free_port(), workers=1)

    def restart(self, **changes):
        """Start again with other ``__init__`` settings (not port or folder)."""
        self.stop()
        self._configure(**{"mounted": self.mounted, "upload_mode": self.upload_mode,
                           "webroot": self.webroot, "extra_env": self.extra_env, **changes})
        return self.start()


APACHE_CONFIG = """\
# Horizon as Debian's and Ubuntu's packages serve it: Apache 2.4, mod_wsgi in
# daemon mode, static files by Apache itself (stack.testing.ApacheHorizon).
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {folder}/apache.pid
DefaultRuntimeDir {folder}/run
Mutex file:{folder}/run
ErrorLog {folder}/error.log
LogLevel warn
LogFormat "%h %t \\"%r\\" %>s %b %D" timed
CustomLog {folder}/access.log timed
User www-data
Group www-data
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so
TypesConfig /etc/mime.types
WSGISocketPrefix {folder}/run/wsgi
{limit_request_body}
# Chunked bodies (curl -T -) reach the app; without it mod_wsgi answers 411.
WSGIChunkedRequest On
WSGIDaemonProcess horizon processes=2 threads=10 user=www-data group=www-data \\
    display-name=%{{GROUP}} python-path={python_path}
WSGIProcessGroup horizon
WSGIApplicationGroup %{{GLOBAL}}
Alias {webroot}static {static}
<Directory {static}>
    Require all granted
</Directory>
WSGIScriptAlias {script_alias} {folder}/horizon.wsgi
<Directory {folder}>
    Require all granted
</Directory>
"""

WSGI_SCRIPT = """\
import os
os.environ.update({environ!r})
from stack.horizon_site.wsgi import application
"""


class ApacheHorizon(HorizonServer):
    """The same Horizon site served as distributions serve it: Debian's
    Apache 2.4 with mod_wsgi in daemon mode (as www-data), static files by
    Apache, memcached as Django's cache and session store. ``limit_request_body``
    None leaves Apache's default (1 GiB since 2.4.54)."""

    def __init__(self, stack, folder, limit_request_body=None, **kwargs):
        # www-data must read the site: a folder of its own, not pytest's (0700).
        folder = Path(tempfile.mkdtemp(prefix="glance-rest-apache-"))
        folder.chmod(0o755)
        super().__init__(stack, folder, **kwargs)
        self.limit_request_body = limit_request_body
        self.log = self.folder / "error.log"
        self.memcached_port = free_port()
        self.memcached = None

    def env(self):
        return {**super().env(), "HORIZON_MEMCACHED": f"127.0.0.1:{self.memcached_port}",
                "HORIZON_SERVE_STATIC": "0"}

    def _launch(self):
        if self.memcached is None:
            self.memcached = subprocess.Popen(
                ["memcached", "-l", "127.0.0.1", "-p", str(self.memcached_port), "-U", "0",
                 "-u", "nobody", "-m", "64"], start_new_session=True)
        for name in ("run", "tmp", "data"):
            (self.folder / name).mkdir(exist_ok=True)
            shutil.chown(self.folder / name, "www-data", "www-data")
        # Horizon's settings open its key store (0600) at import; distributions
        # give it to the web server's user.
        store = next(self.python.parent.parent.glob(
            "lib/python*/site-packages/openstack_dashboard/local/.secret_key_store"), None)
        if store is not None:
            shutil.chown(store, "www-data", "www-data")
            store.chmod(0o600)
        site_packages = next(self.python.parent.parent.glob("lib/python*/site-packages"))
        environ = {k: v for k, v in self.env().items() if k not in ("PATH", "SCRIPT_NAME")}
        environ["DJANGO_SETTINGS_MODULE"] = "stack.horizon_site.settings"
        (self.folder / "horizon.wsgi").write_text(WSGI_SCRIPT.format(environ=environ))
        limit = ("" if self.limit_request_body is None
                 else f"LimitRequestBody {self.limit_request_body}")
        config = self.folder / "apache.conf"
        config.write_text(APACHE_CONFIG.format(
            port=self.port, folder=self.folder, limit_request_body=limit,
            python_path=f"{self.site_path}:{site_packages}", webroot=self.webroot,
            static=ROOT / "build" / f"horizon-{self.release}" / "static",
            script_alias=self.webroot.rstrip("/") or "/"))
        self.log.touch()
        # Apache's own environment only: mod_wsgi's daemons inherit it.
        return subprocess.Popen(["apache2", "-f", str(config), "-DFOREGROUND"],
                                env={"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C.UTF-8"},
                                stdout=open(self.folder / "apache.out", "ab"),
                                stderr=subprocess.STDOUT, start_new_session=True)

    def rss_kib(self):
        """The summed resident memory of Apache's processes and mod_wsgi's
        daemons (all children of the server's parent)."""
        import psutil

        total = 0
        for process in psutil.Process(self.process.pid).children(recursive=True):
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total // 1024

    def restart(self, **changes):
        stop_process(self.process)
        self._configure(**{"mounted": self.mounted, "upload_mode": self.upload_mode,
                           "webroot": self.webroot, "extra_env": self.extra_env, **changes})
        return self.start()

    def stop(self):
        stop_process(self.process)
        stop_process(self.memcached)
        self.memcached = None
        shutil.rmtree(self.folder, ignore_errors=True)
