"""What Keystone answers that is not Keystone's JSON (an HTML page from a
proxy in front of it) is a 502 ``keystone_failed`` naming what came back,
never a 500. Keystone is a loopback server here, answering HTML."""

import datetime
import json
from http.server import BaseHTTPRequestHandler

import pytest
from django.test import Client

from tests.helpers import LoopbackServer

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
PAGE = b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"


def proxy_page_keystone(password_login_works):
    """A Keystone URL whose every answer is a proxy's HTML page with 200,
    except, if ``password_login_works``, the password login (an unscoped
    token, as Keystone gives it)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if password_login_works and "password" in json.loads(body)["auth"]["identity"]:
                expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
                self.answer(201, "application/json", json.dumps({"token": {
                    "methods": ["password"], "expires_at": expires.isoformat(),
                    "user": {"id": "u1", "name": "demo",
                             "domain": {"id": "default", "name": "Default"}}}}).encode(),
                    {"X-Subject-Token": "unscoped-token"})
                return
            self.answer(200, "text/html; charset=utf-8", PAGE)

        do_GET = do_DELETE = lambda self: self.answer(200, "text/html; charset=utf-8", PAGE)

        def answer(self, status, content_type, body, headers=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return LoopbackServer(Handler)


def login(client):
    client.get("/api/auth/session/")
    return client.post("/api/auth/login/", json.dumps({"username": "demo", "password": "pw"}),
                       content_type="application/json",
                       HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value, **XHR)


def token_call(client):
    return client.get("/api/glance/images/", HTTP_X_AUTH_TOKEN="a-token")


@pytest.mark.django_db
@pytest.mark.parametrize("password_login_works, call, expected", [
    (False, token_call, "HTTP 200 with text/html, not JSON"),  # the token's validation
    (False, login, "not Keystone's JSON"),  # the password login itself
    (True, login, "HTTP 200 with text/html, not JSON"),  # the login's list of projects
], ids=["token", "login", "login-projects"])
def test_an_html_page_for_keystone_is_a_502(settings, password_login_works, call, expected):
    with proxy_page_keystone(password_login_works) as keystone:
        settings.OPENSTACK_KEYSTONE_URL = keystone.base_url + "/v3"
        answer = call(Client(enforce_csrf_checks=True))
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (502, "keystone_failed"), error
    assert expected in error["message"]
    assert "nginx" not in error["message"]
