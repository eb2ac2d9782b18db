"""creation.py: what is left when a create fails and its clean-up fails too
(the fake Glance transport under the real glanceclient; no stack)."""

import logging
import types

import pytest

from glance_rest import creation
from glance_rest.errors import FILTERING_HINT, ApiError, GlanceError, from_client_error
from tests.unit import fake_glance
from tests.unit.test_wrapper import fake, image  # noqa: F401 - fake is a fixture

REFUSED_URL = "http://127.0.0.1:1/x"
# glance/api/v2/images.py, import_image: a URI web-download's filter refuses.
REFUSED = fake_glance.glance_error(
    400, f"URI for web-download does not pass filtering: {REFUSED_URL}")
# glance/domain/__init__.py, Image.delete: exception.ProtectedImageDelete,
# answered 403 by glance/api/v2/images.py, delete.
PROTECTED = fake_glance.glance_error(403, "Image i1 is protected and cannot be deleted.")


@pytest.fixture
def refusing(fake):
    """A Glance that creates a protected image, then refuses its import."""
    fake.answer("POST", "/v2/images", 201, image("i1", protected=True, status="queued"))
    fake.answer("POST", "/v2/images/i1/import", *REFUSED)
    return fake


def create(fake):
    request = types.SimpleNamespace(request_id="req-test", DATA={
        "name": "n", "disk_format": "raw", "protected": True, "source_type": "url",
        "image_url": REFUSED_URL, "import_data": True})
    return creation.create_from_json(fake.glance, request)


def test_a_failed_create_deletes_its_image_and_says_nothing_more(refusing):
    refusing.answer("DELETE", "/v2/images/i1", 204)
    with pytest.raises(GlanceError) as raised:
        create(refusing)
    error = from_client_error(raised.value)
    assert (error.status, error.code) == (400, "bad_request")
    assert error.message == (f"URI for web-download does not pass filtering: {REFUSED_URL} "
                             f"{FILTERING_HINT}")
    assert refusing.calls("DELETE") == [("DELETE", "/v2/images/i1")]


def test_a_failed_clean_up_is_logged_and_told(refusing, caplog):
    refusing.answer("DELETE", "/v2/images/i1", *PROTECTED)
    with caplog.at_level(logging.ERROR, logger="glance_rest.creation"), \
            pytest.raises(ApiError) as raised:
        create(refusing)
    # The import's refusal keeps its status and code; the message adds what remains.
    assert (raised.value.status, raised.value.code) == (400, "bad_request")
    assert raised.value.message == (
        f"URI for web-download does not pass filtering: {REFUSED_URL} {FILTERING_HINT} "
        "The image i1 may remain: deleting it failed too (request id req-test).")
    [record] = [r for r in caplog.records if r.name == "glance_rest.creation"]
    assert record.getMessage() == "Clean-up failed: image i1 may remain, request id req-test"
    assert "is protected and cannot be deleted" in record.exc_text


def test_an_unexpected_failure_with_a_failed_clean_up_is_a_500_naming_the_image(fake):
    fake.answer("DELETE", "/v2/images/i1", *PROTECTED)
    with pytest.raises(ApiError) as raised, \
            creation.deleted_on_failure(fake.glance, "i1", "req-9"):
        raise RuntimeError("a bug")
    assert (raised.value.status, raised.value.code) == (500, "internal_error")
    assert raised.value.message == ("Internal error; request id req-9. The image i1 may "
                                    "remain: deleting it failed too (request id req-9).")
    assert isinstance(raised.value.__cause__, RuntimeError)
