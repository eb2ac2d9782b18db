"""errors.py: Glance's error bodies and the map from client errors to statuses."""

import json
import re
from pathlib import Path

import pytest

from glance_rest.errors import (CODES, FILTERING_HINT, LOCATION_HINT, GlanceError,
                                from_client_error, glance_message)

ROOT = Path(__file__).resolve().parents[2]


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

# glance/api/v2/images.py: import_image (web-download) and the location check.
WEB_DOWNLOAD_REFUSED = "URI for web-download does not pass filtering: http://127.0.0.1:1/x"
LOCATION_REFUSED = "URI for add location does not pass filtering: http://127.0.0.1:1/x"


@pytest.mark.parametrize("words", [WEB_DOWNLOAD_REFUSED, LOCATION_REFUSED])
def test_a_url_glance_filters_out_says_what_to_check(words):
    error = from_client_error(GlanceError(400, words))
    assert (error.status, error.code) == (400, "bad_request")
    assert error.message == (
        f"{words} Glance fetches only from the schemes, hosts and ports its "
        "[import_filtering_opts] allow (allowed_schemes, allowed_hosts, allowed_ports; "
        "by default http and https on ports 80 and 443 only): serve the file from such "
        "a URL, or ask the cloud's operator what it allows.")
    assert error.message.endswith(FILTERING_HINT)


def test_other_refusals_carry_glance_words_alone():
    error = from_client_error(GlanceError(400, "Invalid disk format 'nope' for image."))
    assert error.message == "Invalid disk format 'nope' for image."


@pytest.mark.parametrize("glance_status, status, code", [
    (404, 404, "not_found"), (401, 401, "login_expired"), (409, 409, "conflict"),
    # Statuses glanceclient has no exception class for travel on GlanceError.
    (410, 410, "gone"), (415, 415, "unsupported_media_type"),
    (416, 416, "range_not_satisfiable"),
    (500, 502, "glance_failed"), (502, 502, "glance_failed"),
    (503, 503, "glance_unavailable"), (504, 503, "glance_unavailable"),
])
def test_glance_answers_map_to_statuses(glance_status, status, code):
    error = from_client_error(GlanceError(glance_status, "Glance's words"))
    assert (error.status, error.code) == (status, code)
    if code not in ("login_expired", "glance_failed", "glance_unavailable"):
        assert error.message == "Glance's words"


def test_backend_errors_map_to_statuses():
    from glanceclient import exc as g
    from keystoneauth1 import exceptions as k

    assert from_client_error(g.CommunicationError("refused")).code == "glance_unavailable"
    assert from_client_error(g.InvalidEndpoint("timed out")).code == "glance_timeout"
    assert from_client_error(k.ConnectFailure("refused")).code == "keystone_unavailable"
    assert from_client_error(k.ConnectTimeout("slow")).status == 504
    assert from_client_error(ValueError("x")) is None


# glance/api/v2/images.py, _do_add_locations: show_multiple_locations is off
# (Glance's default, make run's), so Glance takes no location.
LOCATIONS_INVISIBLE = "It's not allowed to add locations if locations are invisible."


def test_a_location_glance_will_not_take_says_to_import():
    error = from_client_error(GlanceError(403, LOCATIONS_INVISIBLE))
    assert (error.status, error.code) == (403, "forbidden")
    assert error.message == (
        f"{LOCATIONS_INVISIBLE} This Glance does not show image locations, so it takes none: "
        "send import_data: true to have Glance fetch the URL itself (web-download).")
    assert error.message.endswith(LOCATION_HINT)


def documented_codes():
    """{code: status} from docs/api.md's table of error codes."""
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", (ROOT / "docs" / "api.md").read_text(),
                      re.MULTILINE)
    return {code: int(status) for code, status in rows}


def test_the_documented_error_codes_are_those_the_api_gives():
    """docs/api.md's table, openapi.json's Error schema and the codes the code
    gives (each status's default, and every code named where an error is
    raised) are one list; each default code with its status."""
    named = {code for path in (ROOT / "glance_rest").rglob("*.py")
             for code in re.findall(r'\bcode="([a-z_]+)"', path.read_text())}
    spec = json.loads((ROOT / "glance_rest" / "openapi.json").read_text())
    declared = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"][
        "code"]["enum"]
    documented = documented_codes()
    assert sorted(documented) == sorted(declared) == sorted(set(CODES.values()) | named)
    assert {code: documented[code] for code in CODES.values()} == {
        code: status for status, code in CODES.items()}
