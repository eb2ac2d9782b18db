"""The API tier: Django's test client calling the API in-process, pointed at
the run's stack (tests/conftest.py)."""

import pytest

from stack.testing import REGION


@pytest.fixture
def api_settings(settings, stack):
    """Point the API at the test stack."""
    settings.OPENSTACK_KEYSTONE_URL = stack.keystone_url
    settings.OPENSTACK_REGION = REGION
    return settings


@pytest.fixture
def api(api_settings, tokens, db):
    """Django test clients calling the API as a stack user with X-Auth-Token."""
    from django.test import Client

    def client(user="demo"):
        return Client(HTTP_X_AUTH_TOKEN=tokens(user))
    return client
