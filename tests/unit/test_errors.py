"""errors.py: Glance's error bodies and the map from client errors to statuses."""

import pytest

from glance_rest.errors import from_client_error, glance_message


# Bodies as Glance 33 sends them (curl against the stack).
GLANCE_409_JSON = (b'{"message": "There was a conflict when trying to complete your request.'
                   b'<br /><br />\\nProperty nothere does not exist.\\n\\n", '
                   b'"code": "409 Conflict", "title": "Conflict"}')
GLANCE_404_HTML = (b"<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n"
                   b"  <h1>404 Not Found</h1>\n  No image found with ID nope<br /><br />\n\n"
                   b" </body>\n</html>")


@pytest.mark.parametrize("content_type, body, expected", [
    ("application/json", GLANCE_409_JSON,
     "There was a conflict when trying to complete your request. "
     "Property nothere does not exist."),
    ("text/html; charset=UTF-8", GLANCE_404_HTML, "No image found with ID nope"),
    ("text/plain", b"403 Forbidden: It&#x27;s not allowed", "It's not allowed"),
    ("application/json", b'{"error": {"message": "Nested", "code": 400}}', "Nested"),
    ("application/json", b"not json", "not json"),
    (None, b"", "Glance refused the request."),
])
def test_glance_message_is_cleaned(content_type, body, expected):
    assert glance_message(content_type, body) == expected


def test_backend_errors_map_to_statuses():
    from glanceclient import exc as g
    from keystoneauth1 import exceptions as k

    assert from_client_error(g.HTTPNotFound("gone")).status == 404
    assert from_client_error(g.HTTPUnauthorized("x")).code == "login_expired"
    assert from_client_error(g.HTTPInternalServerError("x")).status == 502
    assert from_client_error(g.HTTPServiceUnavailable("x")).status == 503
    # glanceclient has no class for 415: the status Glance answered decides.
    assert from_client_error(g.HTTPException("no match"), glance_status=415).status == 415
    assert from_client_error(g.CommunicationError("refused")).code == "glance_unavailable"
    assert from_client_error(g.InvalidEndpoint("timed out")).code == "glance_timeout"
    assert from_client_error(k.ConnectFailure("refused")).code == "keystone_unavailable"
    assert from_client_error(k.ConnectTimeout("slow")).status == 504
    assert from_client_error(ValueError("x")) is None
