"""Fixtures shared by the tiers that need the stack (tests/api, tests/browser):
one isolated embedded stack per run, started when a test first asks for it,
its users' tokens, and the API under gunicorn pointed at it. The unit tier
(tests/unit) never asks for them."""

import json
import os
from pathlib import Path

import pytest

from stack.testing import StackProcess


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    described = os.environ.get("GLANCE_REST_TEST_STACK")
    if described:
        # A stack its runner started and will stop (make test-distro-tiers).
        yield StackProcess.attach(json.loads(Path(described).read_text()))
        return
    running = StackProcess(tmp_path_factory.mktemp("stack") / "data", plain_glance=True).start()
    yield running
    running.stop()


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

    name, password = f"two-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    user = stack.create_user(name, password, [stack.project_id(u) for u in ("demo", "alt_demo")])
    yield name, password
    stack.session("admin").delete(f"{stack.keystone_url}/users/{user['id']}")


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
