"""/api/auth/: Keystone login in the Django session, XHR and CSRF rules, logout."""

import json
import logging

import pytest
import requests
from django.test import Client

from tests.helpers import LoadBalancer

pytestmark = pytest.mark.stack
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def browser():
    """A browser-like client: Django's CSRF checks enforced."""
    return Client(enforce_csrf_checks=True)


def login(client, stack, user="demo", **extra):
    session = client.get("/api/auth/session/")
    assert session.status_code == 401
    csrf = client.cookies["csrftoken"].value
    body = {"username": user, "password": stack.passwords[user], **extra}
    return client.post("/api/auth/login/", json.dumps(body), content_type="application/json",
                       HTTP_X_CSRFTOKEN=csrf, **XHR)


def csrf(client):
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value, **XHR}


def test_login_session_and_logout(api_settings, db, stack):
    client = browser()
    answer = login(client, stack)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["user"]["name"] == "demo" and body["project"]["name"] == "demo"
    assert "member" in body["roles"] and body["expires_at"]
    assert "token" not in json.dumps(body).lower()
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    assert client.get("/api/auth/session/").json()["user"]["name"] == "demo"
    images = client.get("/api/glance/images/", **XHR)
    assert images.status_code == 200 and "items" in images.json()

    # The session's token is revoked at Keystone on logout.
    from glance_rest.auth import SESSION_KEY
    token = json.loads(client.session[SESSION_KEY])["auth_token"]
    logout = client.post("/api/auth/logout/", **csrf(client))
    assert logout.status_code == 200 and logout.json() == {"revoked": True}
    assert client.get("/api/auth/session/").status_code == 401
    assert client.get("/api/glance/images/", **XHR).status_code == 401
    check = requests.get(stack.keystone_url + "/auth/tokens", timeout=10,
                         headers={"X-Auth-Token": stack.token("admin"), "X-Subject-Token": token})
    assert check.status_code == 404


def test_login_to_a_named_project(api_settings, db, stack):
    answer = login(browser(), stack, user="admin", project="admin")
    assert answer.status_code == 200
    assert answer.json()["project"]["name"] == "admin" and "admin" in answer.json()["roles"]
    refused = login(browser(), stack, user="demo", project="alt_demo")
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "project"


def test_wrong_password(api_settings, db, stack):
    client = browser()
    client.get("/api/auth/session/")
    answer = client.post("/api/auth/login/", json.dumps({"username": "demo", "password": "no"}),
                         content_type="application/json", **csrf(client))
    assert answer.status_code == 401
    assert "Invalid username, password or domain" in answer.json()["error"]["message"]
    assert "no" not in answer.json()["error"]["message"].split()


def test_login_needs_csrf_and_xhr(api_settings, db, stack):
    client = browser()
    client.get("/api/auth/session/")
    body = json.dumps({"username": "demo", "password": stack.passwords["demo"]})
    no_csrf = client.post("/api/auth/login/", body, content_type="application/json", **XHR)
    assert no_csrf.status_code == 403
    assert no_csrf.json()["error"]["message"] == (  # one period after Django's reason
        "CSRF check failed: CSRF token missing. Send the csrftoken cookie's value in X-CSRFToken.")
    no_xhr = client.post("/api/auth/login/", body, content_type="application/json",
                         HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert no_xhr.status_code == 400 and "XMLHttpRequest" in no_xhr.json()["error"]["message"]


def test_session_calls_need_xhr_and_csrf(api_settings, db, stack):
    client = browser()
    assert login(client, stack).status_code == 200
    assert client.get("/api/glance/images/").status_code == 400  # no XHR header
    create = json.dumps({"name": "csrf-test", "disk_format": "raw"})
    refused = client.put("/api/glance/images/", create, content_type="application/json", **XHR)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    accepted = client.put("/api/glance/images/", create, content_type="application/json",
                          **csrf(client))
    assert accepted.status_code == 201
    image_id = accepted.json()["id"]
    assert client.delete(f"/api/glance/images/{image_id}/", **csrf(client)).status_code == 204


def test_token_header_needs_no_session_or_csrf(api_settings, db, stack, tokens):
    client = browser()
    answer = client.put("/api/glance/images/", json.dumps({"name": "tok", "disk_format": "raw"}),
                        content_type="application/json", HTTP_X_AUTH_TOKEN=tokens("alt_demo"))
    assert answer.status_code == 201
    assert answer.json()["owner"] == stack.auth("alt_demo").get_access(
        stack.session("alt_demo")).project_id
    who = client.get("/api/auth/session/", HTTP_X_AUTH_TOKEN=tokens("alt_demo")).json()
    assert who["user"]["name"] == "alt_demo"
    client.delete(f"/api/glance/images/{answer.json()['id']}/",
                  HTTP_X_AUTH_TOKEN=tokens("alt_demo"))


def test_logout_without_a_session_or_token_has_nothing_to_end(api_settings, db):
    answer = Client().post("/api/auth/logout/")
    assert answer.status_code == 200 and answer.json() == {"revoked": None}


def test_revoked_token_is_refused(api_settings, db, stack, settings):
    settings.TOKEN_CACHE_SECONDS = 0
    token = stack.token("demo")
    client = Client(HTTP_X_AUTH_TOKEN=token)
    assert client.get("/api/glance/version/").status_code == 200
    logout = client.post("/api/auth/logout/")
    assert logout.status_code == 200 and logout.json() == {"revoked": True}
    answer = client.get("/api/glance/version/")
    assert answer.status_code == 401


def test_projects_list_and_switch_without_password(api_settings, db, stack, two_projects_user):
    name, password = two_projects_user
    client = browser()
    client.get("/api/auth/session/")
    answer = client.post("/api/auth/login/",
                         json.dumps({"username": name, "password": password, "project": "demo"}),
                         content_type="application/json", **csrf(client))
    assert answer.status_code == 200 and answer.json()["project"]["name"] == "demo"
    listed = client.get("/api/auth/projects/", **XHR).json()
    assert [p["name"] for p in listed["items"]] == ["alt_demo", "demo"]
    demo_id = next(p["id"] for p in listed["items"] if p["name"] == "demo")
    assert listed["current"] == demo_id

    from glance_rest.auth import SESSION_KEY
    old_token = json.loads(client.session[SESSION_KEY])["auth_token"]
    switched = client.post("/api/auth/switch/", json.dumps({"project": "alt_demo"}),
                           content_type="application/json", **csrf(client))
    assert switched.status_code == 200, switched.content
    assert switched.json()["project"]["name"] == "alt_demo" and switched.json()["revoked"] is True
    # The session now acts in alt_demo: Glance sees an image made there.
    image = stack.glance("alt_demo").images.create(name="two-projects", disk_format="raw",
                                                   container_format="bare", visibility="private")
    try:
        seen = client.get(f"/api/glance/images/{image.id}/", **XHR)
        assert seen.status_code == 200 and seen.json()["owner"] == switched.json()["project"]["id"]
    finally:
        stack.glance("alt_demo").images.delete(image.id)
    # The token of the old scope is revoked at Keystone.
    check = requests.get(stack.keystone_url + "/auth/tokens", timeout=10, headers={
        "X-Auth-Token": stack.token("admin"), "X-Subject-Token": old_token})
    assert check.status_code == 404


def test_switch_to_a_project_without_a_role_is_403(api_settings, db, stack):
    client = browser()
    assert login(client, stack).status_code == 200
    assert [p["name"] for p in client.get("/api/auth/projects/", **XHR).json()["items"]] == ["demo"]
    refused = client.post("/api/auth/switch/", json.dumps({"project": "admin"}),
                          content_type="application/json", **csrf(client))
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "project"
    assert client.get("/api/auth/session/").json()["project"]["name"] == "demo"


def test_switch_needs_a_session_and_csrf(api, api_settings, db, stack):
    with_token = api().post("/api/auth/switch/", json.dumps({"project": "demo"}),
                            content_type="application/json")
    assert with_token.status_code == 400 and "session" in with_token.json()["error"]["message"]
    client = browser()
    assert login(client, stack).status_code == 200
    no_csrf = client.post("/api/auth/switch/", json.dumps({"project": "demo"}),
                          content_type="application/json", **XHR)
    assert no_csrf.status_code == 403
    extra = client.post("/api/auth/switch/", json.dumps({"project": "demo", "x": 1}),
                        content_type="application/json", **csrf(client))
    assert extra.status_code == 400 and extra.json()["error"]["field"] == "x"


def token_status(stack, token):
    """Keystone's status for validating ``token`` (200: it still works)."""
    return requests.get(stack.keystone_url + "/auth/tokens", timeout=10, headers={
        "X-Auth-Token": stack.token("admin"), "X-Subject-Token": token}).status_code


def revoke(stack, token):
    requests.delete(stack.keystone_url + "/auth/tokens", timeout=10,
                    headers={"X-Auth-Token": token, "X-Subject-Token": token})


def test_logout_says_when_keystone_could_not_revoke_the_token(api_settings, db, stack, caplog):
    from glance_rest.auth import SESSION_KEY

    client = browser()
    assert login(client, stack).status_code == 200
    token = json.loads(client.session[SESSION_KEY])["auth_token"]
    api_settings.OPENSTACK_KEYSTONE_URL = "http://127.0.0.1:1/v3"  # Keystone gone
    try:
        with caplog.at_level(logging.WARNING, logger="glance_rest.auth"):
            logout = client.post("/api/auth/logout/", **csrf(client))
        assert logout.status_code == 200 and logout.json() == {"revoked": False}
        # The session ends all the same; the token works until it expires.
        assert client.get("/api/auth/session/").status_code == 401
        assert token_status(stack, token) == 200
        [line] = [r.getMessage() for r in caplog.records if r.name == "glance_rest.auth"]
        assert line.startswith("Token not revoked, it stays valid until it expires: ")
        assert logout["X-Request-Id"] in line and token not in line
    finally:
        revoke(stack, token)


def test_switch_says_when_keystone_refused_to_revoke_the_old_token(
        api_settings, db, stack, two_projects_user, caplog):
    """Keystone behind a proxy that refuses only the revocation (503)."""
    from glance_rest.auth import SESSION_KEY

    name, password = two_projects_user
    refuse = {("DELETE", "/v3/auth/tokens"): 503}
    with LoadBalancer(stack.keystone_url.removesuffix("/v3"), refuse=refuse) as keystone:
        api_settings.OPENSTACK_KEYSTONE_URL = keystone.url + "/v3"
        client = browser()
        client.get("/api/auth/session/")
        answer = client.post("/api/auth/login/",
                             json.dumps({"username": name, "password": password,
                                         "project": "demo"}),
                             content_type="application/json", **csrf(client))
        assert answer.status_code == 200
        old_token = json.loads(client.session[SESSION_KEY])["auth_token"]
        with caplog.at_level(logging.WARNING, logger="glance_rest.auth"):
            switched = client.post("/api/auth/switch/", json.dumps({"project": "alt_demo"}),
                                   content_type="application/json", **csrf(client))
        new_token = json.loads(client.session[SESSION_KEY])["auth_token"]
    try:
        assert switched.status_code == 200, switched.content
        assert switched.json()["project"]["name"] == "alt_demo"
        assert switched.json()["revoked"] is False
        assert token_status(stack, old_token) == 200
        logged = [r.getMessage() for r in caplog.records if r.name == "glance_rest.auth"]
        assert [line.split(":")[0] for line in logged] == [
            "Token not revoked, it stays valid until it expires"]
    finally:
        revoke(stack, old_token)
        revoke(stack, new_token)


def test_no_cookie_from_keystone_goes_with_another_users_call(api_settings, db, stack, tokens,
                                                              settings):
    """A load balancer in front of Keystone sets a cookie on every answer;
    the API's calls for the next user, or the same, never send it back."""
    settings.TOKEN_CACHE_SECONDS = 0  # every X-Auth-Token is validated at Keystone
    with LoadBalancer(stack.keystone_url.removesuffix("/v3")) as keystone:
        api_settings.OPENSTACK_KEYSTONE_URL = keystone.url + "/v3"
        assert login(browser(), stack, user="demo").status_code == 200
        assert login(browser(), stack, user="alt_demo").status_code == 200
        for user in ("demo", "alt_demo"):
            answer = Client(HTTP_X_AUTH_TOKEN=tokens(user)).get("/api/glance/version/")
            assert answer.status_code == 200
    # Each login: the password, the projects, the scoped token; each token: its validation.
    assert [(method, path.split("?")[0]) for method, path, _ in keystone.seen] == [
        ("POST", "/v3/auth/tokens"), ("GET", "/v3/auth/projects"), ("POST", "/v3/auth/tokens"),
    ] * 2 + [("GET", "/v3/auth/tokens")] * 2
    assert keystone.cookies() == [None] * 8



@pytest.fixture
def unscoped_tokens(monkeypatch):
    """The unscoped tokens the logins get from Keystone, in order: a spy on
    keystoneauth1's password plugin (the real one, talking to the real
    Keystone), as nothing else shows them."""
    from keystoneauth1.identity import v3

    tokens = []
    get_access = v3.Password.get_access

    def spy(plugin, session, **kwargs):
        access_info = get_access(plugin, session, **kwargs)
        if access_info.auth_token not in tokens:  # asked again for its headers
            tokens.append(access_info.auth_token)
        return access_info
    monkeypatch.setattr(v3.Password, "get_access", spy)
    return tokens


def keystone_status(stack, token):
    """Keystone's answer to validating ``token``: 200 valid, 404 revoked."""
    return requests.get(stack.keystone_url + "/auth/tokens", timeout=10, headers={
        "X-Auth-Token": stack.token("admin"), "X-Subject-Token": token}).status_code


def test_logout_revokes_the_logins_unscoped_token(api_settings, db, stack, unscoped_tokens):
    """The unscoped token a login starts from is the root of the session's
    tokens (Keystone revokes the tokens scoped from it with it): it lives
    while the session does, and logout revokes it, not only the session's
    token, so nothing of the login works after it."""
    from glance_rest.auth import SESSION_KEY

    client = browser()
    assert login(client, stack).status_code == 200
    [unscoped] = unscoped_tokens
    scoped = json.loads(client.session[SESSION_KEY])["auth_token"]
    assert client.get("/api/glance/images/", **XHR).status_code == 200
    logout = client.post("/api/auth/logout/", **csrf(client))
    assert logout.status_code == 200 and logout.json() == {"revoked": True}
    assert (keystone_status(stack, unscoped), keystone_status(stack, scoped)) == (404, 404)


def test_a_refused_login_revokes_its_unscoped_token(api_settings, db, stack, unscoped_tokens):
    answer = login(browser(), stack, project="alt_demo")  # demo has no role there
    assert answer.status_code == 403
    [unscoped] = unscoped_tokens
    assert keystone_status(stack, unscoped) == 404
