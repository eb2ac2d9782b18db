"""auth.py's failures that must be heard, without a stack: a token Keystone
did not revoke (the logout's answer and the log say so), and a session whose
stored login is corrupt (logged once). Keystone is a loopback server here."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from glance_rest.auth import SESSION_KEY

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
TOKEN = "gAAAAAB-a-token-that-must-never-be-logged"


class _Keystone:
    """Answers DELETE /v3/auth/tokens with ``status`` (and Keystone's JSON
    error body), recording the subject tokens it is asked to revoke."""

    def __init__(self, status):
        revoked = self.revoked = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_DELETE(self):
                revoked.append(self.headers.get("X-Subject-Token"))
                body = b"" if status == 204 else json.dumps({"error": {
                    "code": status, "title": "Internal Server Error",
                    "message": "An unexpected error prevented the server from fulfilling "
                               "your request."}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keystone(settings):
    servers = []

    def start(status):
        server = _Keystone(status)
        servers.append(server)
        settings.OPENSTACK_KEYSTONE_URL = server.url
        return server
    yield start
    for server in servers:
        server.close()


def auth_records(caplog):
    return [r for r in caplog.records if r.name == "glance_rest.auth"]


@pytest.mark.django_db
@pytest.mark.parametrize("status, revoked", [(204, True), (404, True), (500, False)])
def test_a_token_logout_says_whether_keystone_revoked_it(keystone, caplog, status, revoked):
    server = keystone(status)
    with caplog.at_level(logging.WARNING, logger="glance_rest.auth"):
        answer = Client(HTTP_X_AUTH_TOKEN=TOKEN).post("/api/auth/logout/")
    assert answer.status_code == 200 and answer.json() == {"revoked": revoked}
    assert server.revoked == [TOKEN]
    logged = [r.getMessage() for r in auth_records(caplog)]
    assert len(logged) == (0 if revoked else 1)
    assert all(TOKEN not in line for line in logged)


@pytest.mark.django_db
def test_keystone_unreachable_leaves_the_token_unrevoked_and_logged(settings, caplog):
    settings.OPENSTACK_KEYSTONE_URL = "http://127.0.0.1:1/v3"  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="glance_rest.auth"):
        answer = Client(HTTP_X_AUTH_TOKEN=TOKEN).post("/api/auth/logout/")
    assert answer.status_code == 200 and answer.json() == {"revoked": False}
    [record] = auth_records(caplog)
    assert record.getMessage().startswith("Token not revoked, it stays valid until it expires: "
                                          "token sha256 ")
    assert "ConnectFailure" in record.getMessage() and TOKEN not in record.getMessage()
    assert answer["X-Request-Id"] in record.getMessage()


@pytest.mark.django_db
def test_a_logout_with_nothing_to_revoke_says_null():
    answer = Client().post("/api/auth/logout/")
    assert answer.status_code == 200 and answer.json() == {"revoked": None}


def session_client(state):
    """A browser (with its CSRF cookie) whose session holds ``state`` as its
    stored login."""
    from glance_rest.sessions import SessionStore

    client = Client(enforce_csrf_checks=True)
    assert client.get("/api/auth/session/").status_code == 401  # sets the CSRF cookie
    store = SessionStore()
    store[SESSION_KEY] = state
    store.save()
    client.cookies["sessionid"] = store.session_key
    return client, store.session_key


@pytest.mark.django_db
def test_corrupt_session_state_is_logged_once_and_ends_the_session(caplog):
    from glance_rest.sessions import SessionStore

    client, key = session_client('{"auth_token": "' + TOKEN + '", "body": ')
    with caplog.at_level(logging.WARNING, logger="glance_rest.auth"):
        first = client.get("/api/glance/images/", **XHR)
        second = client.get("/api/glance/images/", **XHR)
    assert (first.status_code, first.json()["error"]["code"]) == (401, "login_expired")
    assert (second.status_code, second.json()["error"]["code"]) == (401, "not_authenticated")
    [record] = auth_records(caplog)
    assert record.getMessage().startswith("Corrupt login state in a session (JSONDecodeError: ")
    assert record.getMessage().endswith(f"the session is ended, request id {first['X-Request-Id']}")
    assert TOKEN not in record.getMessage() and key not in record.getMessage()
    assert SessionStore(key).load() == {}


@pytest.mark.django_db
def test_a_logout_of_a_corrupt_session_ends_it_with_nothing_to_revoke(caplog):
    from glance_rest.sessions import SessionStore

    client, key = session_client(json.dumps({"auth_token": TOKEN}))  # no Keystone body
    with caplog.at_level(logging.WARNING, logger="glance_rest.auth"):
        answer = client.post("/api/auth/logout/", **XHR,
                             HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert answer.status_code == 200 and answer.json() == {"revoked": None}
    [record] = auth_records(caplog)
    assert record.getMessage().startswith("Corrupt login state in a session (KeyError: 'body')")
    assert SessionStore(key).load() == {}
