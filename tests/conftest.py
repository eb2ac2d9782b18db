"""Shared fixtures: one isolated embedded stack per test run, and the API
pointed at it."""

import pytest

from stack.testing import REGION, StackProcess


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    running = StackProcess(tmp_path_factory.mktemp("stack") / "data", plain_glance=True).start()
    yield running
    running.stop()


@pytest.fixture
def api_settings(settings, stack):
    """Point the API at the test stack."""
    settings.OPENSTACK_KEYSTONE_URL = stack.keystone_url
    settings.OPENSTACK_REGION = REGION
    return settings


@pytest.fixture(scope="session")
def tokens(stack):
    """One Keystone token per stack user for the whole run."""
    cache = {}

    def token(user):
        if user not in cache:
            cache[user] = stack.token(user)
        return cache[user]
    return token


@pytest.fixture(scope="session")
def two_projects_user(stack):
    """A user with the member role on demo and on alt_demo (made through
    Keystone's API as admin); yields (name, password)."""
    import uuid

    admin = stack.session("admin")
    url = stack.keystone_url
    name, password = f"two-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    user = admin.post(f"{url}/users", json={"user": {
        "name": name, "password": password, "domain_id": "default"}}).json()["user"]
    member = admin.get(f"{url}/roles", params={"name": "member"}).json()["roles"][0]
    for project in ("demo", "alt_demo"):
        found = admin.get(f"{url}/projects", params={"name": project}).json()["projects"][0]
        admin.put(f"{url}/projects/{found['id']}/users/{user['id']}/roles/{member['id']}")
    yield name, password
    admin.delete(f"{url}/users/{user['id']}")


@pytest.fixture
def api(api_settings, tokens, db):
    """Django test clients calling the API as a stack user with X-Auth-Token."""
    from django.test import Client

    def client(user="demo"):
        return Client(HTTP_X_AUTH_TOKEN=tokens(user))
    return client


@pytest.fixture(scope="session")
def api_server(stack, tmp_path_factory):
    """The API under gunicorn (2 workers) against the test stack."""
    from stack.testing import ApiServer

    server = ApiServer(stack, tmp_path_factory.mktemp("api")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def direct_api_server(stack, tmp_path_factory):
    """The API in Horizon's direct upload mode, on the origin Glance allows."""
    from stack.testing import ApiServer

    server = ApiServer(stack, tmp_path_factory.mktemp("api-direct"), workers=1,
                       port=stack.direct_api_port,
                       extra_env={"IMAGES_UPLOAD_MODE": "direct"}).start()
    yield server
    server.stop()


def pytest_terminal_summary(terminalreporter):
    from tests import tally

    if tally.counts:
        terminalreporter.write_line("security tally: " + ", ".join(
            f"{name} {count}" for name, count in sorted(tally.counts.items())))


CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium, as root, on a machine whose only network is loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync",
                 # The Horizon harness page is fulfilled by Playwright, not fetched
                 # from the loopback server whose origin it has, so Chromium would
                 # take it for a public page reaching into loopback (Glance).
                 "--disable-features=LocalNetworkAccessChecks,"
                 "BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessRespectPreflightResults"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
