"""Failing backends: Glance or Keystone down, Glance hanging. The API answers
503/504 JSON within its timeout, recovers by itself, and loses nothing. A
write Glance did is answered as done when the cache goes down meanwhile, or
when the connection drops before Glance's answer arrives.

A stack of its own, since these tests stop and restart its servers; the last
one restarts the whole stack on its data (a second cold start is not needed
for that)."""

import concurrent.futures
import io
import os
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc

from tests import tally
from tests.api.test_processes import redis_server  # noqa: F401 - the fixture
from tests.helpers import browser_login, in_glance, remove_from_glance
from stack.runner import stop_process
from stack.testing import ApiServer, StackProcess

pytestmark = [pytest.mark.stack, pytest.mark.slow]
TIMEOUT = 3  # the API's OPENSTACK_TIMEOUT here
METADEFS = "/api/glance/metadefs/namespaces/"


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    stack = StackProcess(folder / "stack").start()
    server = ApiServer(stack, folder / "api", workers=1, extra_env={
        "OPENSTACK_TIMEOUT": str(TIMEOUT), "TOKEN_CACHE_SECONDS": "300"}).start()
    restarted = []
    yield stack, server, restarted
    for process in restarted:
        stop_process(process)
    server.stop()
    stack.stop()


def _port(stack, name):
    return {"glance": stack.glance_port, "keystone": stack.keystone_port}[name]


def wait_for(event, what, timeout):
    """Poll ``event()`` until it is true, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not event():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def kill(stack, name):
    tally.counts["faults injected"] += 1
    os.killpg(stack.info["pids"][name], signal.SIGKILL)
    # Dead when its port no longer takes connections.
    wait_for(lambda: not _port_open(_port(stack, name)), f"{name} stops listening", 10)


def _restart_log(stack, name):
    return stack.data_dir.parent / f"{stack.data_dir.name}.{name}-restarted.log"


def restart(stack, name, restarted):
    """Start the server again with the stack's own command line (its output
    in _restart_log, for the reason if it does not come back)."""
    command = stack.info["commands"][name]
    with open(_restart_log(stack, name), "ab") as log:
        process = subprocess.Popen(command["argv"], env={**os.environ, **command["env"]},
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    restarted.append(process)
    stack.info["pids"][name] = process.pid
    return process


def _unread_bytes_at(port):
    """Bytes that clients have sent to 127.0.0.1:``port`` and that the server
    has not read yet: the receive queues of its established sockets
    (/proc/net/tcp: connections the frozen server has not accepted are listed
    too, with what they have been sent)."""
    total = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, state, queues = fields[1], fields[3], fields[4]
            if local == f"0100007F:{port:04X}" and state == "01":  # ESTABLISHED
                total += int(queues.split(":")[1], 16)
    return total


def call(server, token, path="/api/glance/images/", **kwargs):
    started = time.monotonic()
    answer = requests.get(server.url + path, headers={"X-Auth-Token": token},
                          timeout=60, **kwargs)
    return answer, time.monotonic() - started


def wait_until_ok(server, token, path="/api/glance/images/", timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer, _ = call(server, token, path)
        if answer.status_code == 200:
            return answer
        time.sleep(0.5)
    raise AssertionError(f"API did not recover: {answer.status_code} {answer.text}")


def test_glance_down_then_back(faulty):
    stack, server, restarted = faulty
    token = stack.token("demo")
    glance = stack.glance("demo")
    image = glance.images.create(name="survivor", disk_format="raw", container_format="bare")
    before = {i["id"] for i in call(server, token)[0].json()["items"]}
    assert image.id in before

    kill(stack, "glance")
    answer, took = call(server, token)
    assert answer.status_code == 503
    assert "cannot be reached" in answer.json()["error"]["message"]
    assert took < TIMEOUT + 2

    restart(stack, "glance", restarted)
    after = {i["id"] for i in wait_until_ok(server, token).json()["items"]}
    assert before <= after  # nothing lost


def test_hanging_glance_gives_504_in_time(faulty):
    stack, server, _ = faulty
    token = stack.token("demo")
    wait_until_ok(server, token)
    group = stack.info["pids"]["glance"]
    os.killpg(group, signal.SIGSTOP)
    tally.counts["faults injected"] += 1
    try:
        # Glance has answered everything before: nothing waits in its sockets.
        assert _unread_bytes_at(stack.glance_port) == 0
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            hanging = pool.submit(call, server, token)
            # The request has reached Glance when its bytes wait, unread, in
            # a socket of the frozen Glance (the API is its only client here).
            wait_for(lambda: _unread_bytes_at(stack.glance_port) > 0,
                     "the API's request reaches the frozen Glance", TIMEOUT - 0.5)
            # Other requests are not tied up meanwhile: answered while it still waits.
            version, _ = call(server, token, "/api/glance/version/")
            assert version.status_code == 200 and not hanging.done()
            answer, took = hanging.result()
        assert answer.status_code == 504
        assert "did not answer in time" in answer.json()["error"]["message"]
        assert TIMEOUT - 0.5 <= took < TIMEOUT + 3
    finally:
        os.killpg(group, signal.SIGCONT)
    wait_until_ok(server, token)


def test_keystone_down_then_back(faulty):
    stack, server, restarted = faulty
    token = stack.token("demo")
    wait_until_ok(server, token)  # validated once: now cached by the API
    kill(stack, "keystone")
    # A new token cannot be validated; a login cannot be made.
    answer, took = call(server, "gAAAAAB-not-yet-seen-token")
    assert answer.status_code == 503 and took < TIMEOUT + 2
    _, _, login = browser_login(server.url, "demo", stack.passwords["demo"])
    assert login.status_code == 503
    assert "cannot be reached" in login.json()["error"]["message"]
    # A token validated before goes on working for reads (Glance caches it too).
    cached, _ = call(server, token)
    assert cached.status_code == 200

    process = restart(stack, "keystone", restarted)
    deadline = time.monotonic() + 60
    while True:
        try:
            fresh = stack.token("alt_demo")
            break
        # Not listening yet (connection refused), or not yet answering its
        # version document: anything else is a failure of its own, raised as is.
        except (ks_exc.ConnectionError, ks_exc.DiscoveryFailure) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                log = _restart_log(stack, "keystone")
                raise AssertionError(
                    f"Keystone did not come back: last {exc!r}; its process "
                    + (f"exited with {process.returncode}" if process.poll() is not None
                       else "still runs after 60 s")
                    + f"; the end of {log}:\n" + log.read_text(errors="replace")[-3000:]
                ) from exc
            time.sleep(0.5)
    wait_until_ok(server, fresh)


def test_a_metadefs_write_glance_did_stands_when_the_cache_goes_down(faulty, tmp_path,
                                                                     redis_server):  # noqa: F811
    """The cache (Redis, shared by the API's processes) goes down while Glance
    does a metadefs write: the write is answered as done, Glance holds it, and
    the cache generation it could not renew is logged, without the token."""
    import redis

    stack, _, _ = faulty
    server = ApiServer(stack, tmp_path / "api", workers=1,
                       extra_env={"REDIS_URL": redis_server}).start()
    token, admin = stack.token("admin"), stack.glance("admin")
    name = f"GlanceRest::Faults::{uuid.uuid4().hex[:8]}"
    group = stack.info["pids"]["glance"]
    try:
        assert _unread_bytes_at(stack.glance_port) == 0
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            os.killpg(group, signal.SIGSTOP)
            try:
                writing = pool.submit(requests.post, server.url + METADEFS, timeout=60,
                                      json={"namespace": name, "tags": [{"name": "kept"}]},
                                      headers={"X-Auth-Token": token})
                # The write has passed the cache (its token validated and kept
                # there) and waits for the frozen Glance: the cache goes down.
                wait_for(lambda: _unread_bytes_at(stack.glance_port) > 0,
                         "the API's write reaches the frozen Glance", 30)
                cache = redis.Redis.from_url(redis_server)
                port = cache.connection_pool.connection_kwargs["port"]
                tally.counts["faults injected"] += 1
                cache.shutdown(nosave=True)
                wait_for(lambda: not _port_open(port), "Redis stops listening", 10)
            finally:
                os.killpg(group, signal.SIGCONT)
            answer = writing.result()
        assert answer.status_code == 201, answer.text
        assert answer.json()["namespace"] == name
        assert [t["name"] for t in in_glance(admin, name)["tags"]] == ["kept"]
        log = server.log.read_text()
        assert f"the generation of namespace '{name}' was not renewed" in log, log[-3000:]
        assert token not in log
    finally:
        server.stop()
        remove_from_glance(admin, name)


class _DropsTheFirstDeletesAnswer:
    """A loopback proxy to Glance that passes every request and answer on,
    except the answer to the first DELETE: it closes the client's connection
    instead, once Glance has answered (and so has deleted). Counts DELETEs."""

    def __init__(self, glance_port):
        self.glance_port = glance_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.deletes = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._requests, args=(client,), daemon=True).start()

    def _requests(self, client):
        glance = socket.create_connection(("127.0.0.1", self.glance_port))
        drop = threading.Event()
        threading.Thread(target=self._answers, args=(glance, client, drop), daemon=True).start()
        try:
            while data := client.recv(65536):
                if data.startswith(b"DELETE "):
                    self.deletes += 1
                    if self.deletes == 1:
                        drop.set()
                glance.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, glance)

    def _answers(self, glance, client, drop):
        try:
            while data := glance.recv(65536):
                if drop.is_set():
                    break  # Glance has answered: the answer is lost with the connection
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, glance)

    def close(self):
        self.listener.close()


def _close(*sockets):
    for each in sockets:
        try:
            each.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        each.close()


def test_a_delete_whose_answer_was_lost_is_done(faulty, tmp_path):
    """The connection to Glance drops after Glance has deleted the image and
    before its answer arrives: the API sends the DELETE again, Glance answers
    404, and the API tells the caller what happened: 204, the image is gone."""
    stack, _, _ = faulty
    proxy = _DropsTheFirstDeletesAnswer(stack.glance_port)
    admin, keystone = stack.session("admin"), stack.keystone_url
    # A region of its own whose Glance is the proxy: the API's catalog points there.
    region = f"Faults-{uuid.uuid4().hex[:8]}"
    service = admin.get(f"{keystone}/services", params={"type": "image"}).json()["services"][0]
    admin.post(f"{keystone}/regions", json={"region": {"id": region}})
    endpoint = admin.post(f"{keystone}/endpoints", json={"endpoint": {
        "service_id": service["id"], "interface": "public", "region_id": region,
        "url": proxy.url}}).json()["endpoint"]
    server = ApiServer(stack, tmp_path / "api", workers=1,
                       extra_env={"OPENSTACK_REGION": region}).start()
    glance = stack.glance("demo")
    image = glance.images.create(name="deleted once", disk_format="raw",
                                 container_format="bare")
    try:
        tally.counts["faults injected"] += 1
        answer = requests.delete(f"{server.url}/api/glance/images/{image.id}/", timeout=60,
                                 headers={"X-Auth-Token": stack.token("demo")})
        assert answer.status_code == 204, answer.text
        assert proxy.deletes == 2  # the first (done, its answer dropped), and its resend
        with pytest.raises(glance_exc.HTTPNotFound):
            glance.images.get(image.id)
    finally:
        server.stop()
        proxy.close()
        admin.delete(f"{keystone}/endpoints/{endpoint['id']}", raise_exc=False)
        admin.delete(f"{keystone}/regions/{region}", raise_exc=False)
        try:
            glance.images.delete(image.id)
        except glance_exc.HTTPNotFound:
            pass


def test_images_survive_a_restart(faulty):
    """Stop the whole stack (and the servers restarted above), start it again
    on the same data and ports: the image and its data are there; Ctrl-C then
    stops every process it started."""
    stack, _, restarted = faulty
    glance = stack.glance("demo")
    image = glance.images.create(name="persistent", disk_format="raw", container_format="bare")
    glance.images.upload(image.id, io.BytesIO(b"kept across restarts" * 1000))
    checksum = glance.images.get(image.id).os_hash_value
    for process in restarted:
        stop_process(process)
    stack.stop()
    assert not _port_open(stack.glance_port) and not _port_open(stack.keystone_port)

    stack.start()
    restored = stack.glance("demo").images.get(image.id)
    assert restored.status == "active" and restored.os_hash_value == checksum
    assert b"".join(stack.glance("demo").images.data(image.id)) == b"kept across restarts" * 1000
    stack.stop(sig=signal.SIGINT)  # as Ctrl-C does
    assert stack.process.returncode == 0
    assert not _port_open(stack.keystone_port) and not _port_open(stack.glance_port)
    assert not _leftover_processes(str(stack.data_dir), f"127.0.0.1:{stack.keystone_port}",
                                   f"127.0.0.1:{stack.glance_port}")


def _port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _leftover_processes(*needles):
    """Processes whose command line names this stack's folder or ports."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")
            except OSError:
                continue
            if any(needle.encode() in cmdline for needle in needles):
                found.append(cmdline.decode(errors="replace"))
    return found
