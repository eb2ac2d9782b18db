"""Several API processes sharing sessions (database, Redis); production checks."""

import os
import re
import secrets
import shutil
import socket
import subprocess
import time

import pytest
import requests

from tests import helpers
from stack.runner import stop_process
from stack.testing import APP_BIN, ROOT, ApiServer, free_port

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def browser_login(server, stack, user="demo"):
    http, headers, answer = helpers.browser_login(server.url, user, stack.passwords[user])
    assert answer.status_code == 200, answer.text
    return http, headers


def serving_pids(server, request_ids):
    pids = set()
    for line in server.log.read_text().splitlines():
        for request_id in request_ids:
            if request_id in line:
                pids.add(line.split()[2])
    return pids


def assert_session_shared(server, stack):
    import concurrent.futures

    http, headers = browser_login(server, stack)

    def call(_):
        # A new connection each time, several at once: every worker takes some.
        answer = requests.get(server.url + "/api/glance/images/", timeout=30,
                              cookies=http.cookies, headers={**headers, "Connection": "close"})
        assert answer.status_code == 200, answer.text
        return answer.headers["X-Request-Id"]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        request_ids = list(pool.map(call, range(48)))
    assert len(serving_pids(server, request_ids)) >= 2
    logout = http.post(server.url + "/api/auth/logout/", headers=headers, timeout=30)
    assert logout.status_code == 200 and logout.json() == {"revoked": True}
    for _ in range(6):
        gone = http.get(server.url + "/api/glance/images/", timeout=30,
                        headers={**headers, "Connection": "close"})
        assert gone.status_code == 401


def test_database_sessions_across_workers(api_server, stack):
    assert_session_shared(api_server, stack)


@pytest.fixture
def redis_server(tmp_path):
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: make test installs Debian's redis-server"
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    stop_process(process, timeout=10, group=False)


def test_redis_sessions_across_workers(stack, tmp_path, redis_server):
    import redis

    server = ApiServer(stack, tmp_path, workers=3, extra_env={
        "SESSION_ENGINE": "django.contrib.sessions.backends.cache", "REDIS_URL": redis_server,
    }).start()
    try:
        http, _ = browser_login(server, stack)
        assert redis.Redis.from_url(redis_server).keys("*session*")
        assert_session_shared(server, stack)
    finally:
        server.stop()


def test_two_api_instances_share_sessions_and_validated_tokens(stack, tmp_path, redis_server):
    """Two API hosts (here two gunicorn servers, each with its own database)
    behind a balancer share one Redis: a login on one works on the other, and a
    token one has validated is not validated with Keystone again by the other."""
    import redis

    env = {"SESSION_ENGINE": "django.contrib.sessions.backends.cache",
           "REDIS_URL": redis_server, "BACKEND_CALLS_HEADER": "1"}
    first = ApiServer(stack, tmp_path / "first", workers=1, extra_env=env).start()
    second = ApiServer(stack, tmp_path / "second", workers=1, extra_env=env).start()
    try:
        http, headers = browser_login(first, stack)
        on_second = http.get(second.url + "/api/glance/images/", headers=headers, timeout=30)
        assert on_second.status_code == 200, on_second.text
        assert on_second.headers["X-Backend-Calls"].endswith("keystone=0")

        token = stack.token("alt_demo")
        calls = []
        for server in (first, second, first, second):
            answer = requests.get(server.url + "/api/glance/images/", timeout=30,
                                  headers={"X-Auth-Token": token})
            assert answer.status_code == 200
            calls.append(answer.headers["X-Backend-Calls"])
        assert calls == ["glance=1, keystone=1"] + ["glance=1, keystone=0"] * 3
        # Redis holds neither the token nor the password, only hashed keys.
        store = redis.Redis.from_url(redis_server)
        everything = b"".join(store.get(k) or b"" for k in store.keys("*")
                              if store.type(k) == b"string")
        assert token.encode() not in everything
        assert stack.passwords["alt_demo"].encode() not in everything
        assert token.encode() not in b"".join(store.keys("*"))
        # A token revoked through one is refused by the other at once.
        logout = requests.post(second.url + "/api/auth/logout/", timeout=30,
                               headers={"X-Auth-Token": token})
        assert logout.status_code == 200 and logout.json() == {"revoked": True}
        gone = requests.get(first.url + "/api/glance/images/", timeout=30,
                            headers={"X-Auth-Token": token})
        assert gone.status_code == 401
    finally:
        first.stop()
        second.stop()


def test_two_api_hosts_share_sessions_in_postgresql(stack, tmp_path):
    """DATABASE_URL: two API instances (own folders, no SQLite file in common)
    keep Django's sessions in one PostgreSQL (the stack's server)."""
    env = {"DATABASE_URL": stack.info["api_database_url"]}
    first = ApiServer(stack, tmp_path / "first", workers=1, extra_env=env).start()
    second = ApiServer(stack, tmp_path / "second", workers=1, extra_env=env).start()
    try:
        http, headers = browser_login(first, stack, "alt_demo")
        who = http.get(second.url + "/api/auth/session/", headers=headers, timeout=30).json()
        assert who["user"]["name"] == "alt_demo"
        images = http.get(second.url + "/api/glance/images/", headers=headers, timeout=30)
        assert images.status_code == 200
        assert not list((tmp_path / "first").glob("*.sqlite3"))
        logout = http.post(second.url + "/api/auth/logout/", headers=headers, timeout=30)
        assert logout.status_code == 200 and logout.json() == {"revoked": True}
        gone = http.get(first.url + "/api/glance/images/", headers=headers, timeout=30)
        assert gone.status_code == 401
    finally:
        first.stop()
        second.stop()


def test_expired_login_is_401_and_ends_the_session(api_server, stack):
    """A session whose token has expired: 401 saying so, and the session is gone."""
    http, headers = browser_login(api_server, stack)
    env = {**os.environ, **api_server.env}
    session_key = http.cookies["sessionid"]
    # Age the stored login as time would: rewrite expires_at in the session store.
    script = (
        "import json, django; django.setup();"
        "from django.contrib.sessions.backends.db import SessionStore;"
        f"s = SessionStore('{session_key}');"
        "state = json.loads(s['glance_rest_auth']);"
        "state['body']['token']['expires_at'] = '2000-01-01T00:00:00.000000Z';"
        "s['glance_rest_auth'] = json.dumps(state); s.save()")
    subprocess.run([str(APP_BIN / "python"), "-c", script], cwd=ROOT, check=True,
                   env={**env, "DJANGO_SETTINGS_MODULE": "settings"})
    answer = http.get(api_server.url + "/api/glance/images/", headers=headers, timeout=30)
    assert answer.status_code == 401
    assert "expired" in answer.json()["error"]["message"]
    again = http.get(api_server.url + "/api/auth/session/", timeout=30)
    assert again.status_code == 401
    assert "expired" not in again.json()["error"]["message"]  # the session itself is gone


def test_revoked_login_is_401_and_ends_the_session(api_server, stack):
    """Revoked at Keystone behind the API's back: Glance refuses the token, the
    API says the login ended and drops the session."""
    http, headers = browser_login(api_server, stack)
    env = {**os.environ, **api_server.env, "DJANGO_SETTINGS_MODULE": "settings"}
    token = subprocess.run(
        [str(APP_BIN / "python"), "-c",
         "import json, django; django.setup();"
         "from django.contrib.sessions.backends.db import SessionStore;"
         f"print(json.loads(SessionStore('{http.cookies['sessionid']}')"
         "['glance_rest_auth'])['auth_token'])"],
        cwd=ROOT, check=True, env=env, capture_output=True, text=True).stdout.strip()
    revoked = requests.delete(stack.keystone_url + "/auth/tokens", timeout=30, headers={
        "X-Auth-Token": stack.token("admin"), "X-Subject-Token": token})
    assert revoked.status_code == 204
    answer = http.get(api_server.url + "/api/glance/images/", headers=headers, timeout=30)
    assert answer.status_code == 401
    assert "expired or was revoked" in answer.json()["error"]["message"]
    after = http.get(api_server.url + "/api/glance/images/", headers=headers, timeout=30)
    assert after.status_code == 401
    assert "Authentication required" in after.json()["error"]["message"]


def test_check_deploy_passes_with_production_settings():
    env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(60), "DEBUG": "false",
           "ALLOWED_HOSTS": "images.example.com", "SESSION_COOKIE_SECURE": "true",
           "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_SECONDS": "31536000",
           "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true",
           "SECURE_PROXY_SSL": "true"}
    env.pop("GLANCE_REST_DEV", None)
    result = subprocess.run([str(APP_BIN / "python"), "manage.py", "check", "--deploy",
                             "--fail-level", "WARNING"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"no issues", result.stdout + result.stderr)


def test_secret_key_is_required_in_production():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "GLANCE_REST_DEV")}
    result = subprocess.run([str(APP_BIN / "python"), "manage.py", "check"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_no_query_string_in_the_logs(api_server, tokens):
    """gunicorn's access log (gunicorn.conf.py's format, which make run and
    make serve use) and the API's request log name the path, never the query
    string nor the Referer: filters name images, tags and projects."""
    secret = helpers.unique("secret-filter")
    answer = requests.get(api_server.url + "/api/glance/images/", params={"name": secret},
                          headers={"X-Auth-Token": tokens("demo"),
                                   "Referer": f"{api_server.url}/?name={secret}"}, timeout=30)
    assert answer.status_code == 200
    request_id = answer.headers["X-Request-Id"]
    deadline = time.monotonic() + 10
    # gunicorn writes the line after the answer: its id, or (before gunicorn.conf.py) the query.
    while not any(text in api_server.access_log.read_text() for text in (request_id, secret)):
        assert time.monotonic() < deadline, "no access log line for " + request_id
        time.sleep(0.1)
    assert secret not in api_server.access_log.read_text()
    [line] = [line for line in api_server.access_log.read_text().splitlines()
              if request_id in line]
    assert '"GET /api/glance/images/ HTTP/1.1" 200' in line
    assert request_id in api_server.log.read_text()
    assert secret not in api_server.log.read_text()
