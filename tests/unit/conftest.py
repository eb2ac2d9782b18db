"""The unit tier: pure logic, no stack, no browser, no network (make test-unit)."""

import pytest


@pytest.fixture(scope="session")
def stack():
    raise pytest.UsageError("unit tests run without the stack: move this test to tests/api")
