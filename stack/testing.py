"""The stack and the API as the tests and the bench start them (imported from
the API's virtualenv, not the stack's): an isolated embedded stack with its
own temporary data folder and free ports, so tests never touch ``make run``'s
data and two runs cannot collide. It is the same ``python -m stack run`` that
``make run`` uses, started as a child process."""

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from glanceclient import Client as GlanceClient
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from stack.runner import stop_process

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
        self.ready_file = self.data_dir.parent / f"{self.data_dir.name}.ready.json"
        self.output = self.data_dir.parent / f"{self.data_dir.name}.out.log"
        self.process = None
        self.info = None

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
                "--cors-origin", f"http://127.0.0.1:{self.direct_api_port}"] + (
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
        return json.loads((self.data_dir / "secrets.json").read_text())

    def auth(self, user):
        return v3.Password(auth_url=self.keystone_url, username=user,
                           password=self.passwords[user], project_name=PROJECTS[user],
                           user_domain_id="default", project_domain_id="default")

    def session(self, user):
        return ks_session.Session(auth=self.auth(user))

    def token(self, user):
        return self.session(user).get_token()

    def glance(self, user):
        """A direct glanceclient for ``user``: what tests compare the API with."""
        return GlanceClient("2", session=self.session(user), region_name=REGION)


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
        import requests

        self.tmpdir.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(APP_BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"],
                       cwd=ROOT, env=self.env, check=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(APP_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                 "--workers", str(self.workers), "--threads", "8", "--no-control-socket",
                 "--worker-class", "glance_rest.gunicorn_worker.ThreadWorker",
                 "--timeout", "300", "glance_rest.wsgi:application"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(self.url + "/api/glance/version/", timeout=2)
                return self
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("API server did not start:\n" + self.log.read_text()[-3000:])
                time.sleep(0.2)

    def stop(self):
        stop_process(self.process)
