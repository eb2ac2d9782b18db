"""Shared fixtures: one isolated embedded stack per test run, and the API
pointed at it."""

import pytest

from tests.stackfixture import StackProcess


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    running = StackProcess(tmp_path_factory.mktemp("stack") / "data").start()
    yield running
    running.stop()


@pytest.fixture
def api_settings(settings, stack):
    """Point the API at the test stack."""
    settings.OPENSTACK_KEYSTONE_URL = stack.keystone_url
    return settings
