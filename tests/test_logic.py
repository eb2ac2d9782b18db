"""Fast tests of pure logic: pagination flags, body parsing, stack configuration."""

import json
from pathlib import Path

import pytest
from django.http import QueryDict

from glance_rest import glance, params
from glance_rest.errors import BadInput, from_client_error, glance_message
from stack import config

SCHEMA = glance.ImageSchema({"properties": {
    "name": {}, "disk_format": {"enum": [None, "raw", "qcow2", "vmdk", "vhd", "ami", "aki",
                                         "ari", "iso"]},
    "container_format": {"enum": [None, "bare", "ovf", "ova", "docker", "ami", "aki", "ari"]},
    "min_disk": {}, "min_ram": {}, "protected": {}, "visibility": {}, "tags": {},
    "os_hidden": {}, "id": {}, "status": {"readOnly": True}, "size": {"readOnly": True},
    "os_hash_value": {"readOnly": True}, "os_hash_algo": {"readOnly": True},
}})


# --- pagination --------------------------------------------------------------
CATALOGUE = list(range(1, 8))  # 7 items, page size 3


def fetch_from(items):
    def fetch(marker, sort_dir, count):
        ordered = items if sort_dir == "asc" else list(reversed(items))
        start = ordered.index(marker) + 1 if marker is not None else 0
        return ordered[start:start + count]
    return fetch


def page(marker=None, reversed_order=False, paginate=True, sort_dir="asc"):
    return glance.page(fetch_from(CATALOGUE), marker=marker, sort_dir=sort_dir,
                       paginate=paginate, reversed_order=reversed_order, page_size=3, limit=100)


def test_first_middle_last_pages():
    assert page() == ([1, 2, 3], True, False)
    assert page(marker=3) == ([4, 5, 6], True, True)
    assert page(marker=6) == ([7], False, True)


def test_pages_reached_backwards_keep_their_order():
    assert page(marker=7, reversed_order=True) == ([4, 5, 6], True, True)
    assert page(marker=4, reversed_order=True) == ([1, 2, 3], True, False)


def test_descending_and_unpaginated():
    assert page(sort_dir="desc") == ([7, 6, 5], True, False)
    assert page(marker=4, sort_dir="desc", reversed_order=True) == ([7, 6, 5], True, False)
    assert page(paginate=False) == (CATALOGUE, False, False)


def test_exactly_one_page():
    items = [1, 2, 3]
    result = glance.page(fetch_from(items), marker=None, sort_dir="asc", paginate=True,
                         reversed_order=False, page_size=3, limit=100)
    assert result == ([1, 2, 3], False, False)


# --- query strings -----------------------------------------------------------
def test_query_constants_and_repeated_filters():
    query = QueryDict("paginate=true&is_public=False&tag=a&tag=b&name=x&marker=None")
    filters, kwargs = params.split_query(query, {"paginate", "marker"})
    assert kwargs == {"paginate": True, "marker": None}
    assert filters == {"is_public": False, "tag": ["a", "b"], "name": "x"}


def test_horizon_filter_names_normalised():
    filters, options = params.image_listing(QueryDict("is_public=true&property-owner_id=p1"))
    assert filters == {"visibility": "public", "owner": "p1"}
    assert options == {"marker": None, "sort_key": "created_at", "sort_dir": "desc",
                       "paginate": False, "reversed_order": False}
    filters, _ = params.image_listing(QueryDict("is_public=None&protected=false"))
    assert filters == {"protected": "false"}


# --- image bodies ------------------------------------------------------------
@pytest.mark.parametrize("disk, container, expected", [
    ("ami", None, ("ami", "ami")), ("aki", "bare", ("aki", "aki")), ("ari", None, ("ari", "ari")),
    ("docker", None, ("raw", "docker")), ("vhd", None, ("vhd", "ovf")),
    ("ova", None, ("vmdk", "ova")), ("qcow2", None, ("qcow2", "bare")),
    ("raw", "ovf", ("raw", "ovf")),
])
def test_format_rules(disk, container, expected):
    body = {"disk_format": disk}
    if container:
        body["container_format"] = container
    attrs = params.image_attributes(body, SCHEMA, creating=True)
    assert (attrs["disk_format"], attrs["container_format"]) == expected


def test_fields_and_custom_properties():
    attrs = params.image_attributes({
        "name": "n", "description": "d", "kernel": "k1", "ramdisk": "", "architecture": "x86_64",
        "min_disk": "10", "min_ram": 512, "visibility": "community", "protected": "true",
        "tags": ["a"], "is_public": True, "hw_qemu_guest_agent": "yes", "cores": 4,
        "source_type": "url", "image_url": "http://x", "import_data": False,
    }, SCHEMA, creating=True)
    assert attrs == {
        "name": "n", "description": "d", "kernel_id": "k1", "architecture": "x86_64",
        "min_disk": 10, "min_ram": 512, "visibility": "community", "protected": True,
        "tags": ["a"], "hw_qemu_guest_agent": "yes", "cores": "4",
    }


def test_horizons_echoed_fields_are_dropped():
    body = {"name": "n", "status": "active", "size": 3, "checksum": "c", "id": "i",
            "owner": "o", "is_copying": False, "is_public": True, "created_at": "t",
            "os_hash_value": "h", "os_hash_algo": "sha512", "locations": []}
    assert params.image_attributes(body, SCHEMA, creating=False) == {"name": "n"}


def test_update_leaves_absent_fields_alone():
    assert params.image_attributes({"name": "only"}, SCHEMA, creating=False) == {"name": "only"}


@pytest.mark.parametrize("body, field", [
    ({"min_disk": "abc"}, "min_disk"), ({"min_ram": -1}, "min_ram"),
    ({"protected": "maybe"}, "protected"), ({"visibility": "everyone"}, "visibility"),
    ({"tags": "a,b"}, "tags"), ({"disk_format": "floppy"}, "disk_format"),
    ({"properties": {"os_hash_value": "x"}}, "os_hash_value"), ({"nested": {"a": 1}}, "nested"),
    ({"properties": ["x"]}, "properties"), ({"name": 5}, "name"),
])
def test_bad_fields_are_named(body, field):
    with pytest.raises(BadInput) as raised:
        params.image_attributes(body, SCHEMA, creating=True)
    assert raised.value.field == field and raised.value.status == 400


def test_property_changes():
    changes, removed = params.property_changes(
        {"updated": {"os_hidden": "true", "a": "1"}, "removed": ["b"]}, SCHEMA)
    assert changes == {"os_hidden": True, "a": "1"} and removed == ["b"]
    for body in ({}, {"updated": {"os_hash_value": "x"}}, {"updated": {"size": 1}},
                 {"updated": {}, "removed": "b"}):
        with pytest.raises(BadInput):
            params.property_changes(body, SCHEMA)


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


# --- stack configuration -----------------------------------------------------
def test_glance_config_allows_import_ports(tmp_path):
    layout = config.Layout(tmp_path, keystone_port=15000, glance_port=19292, import_ports=(8123,))
    text = config.glance_api_conf(layout, "/sock", "pw", "/venv/etc/glance/paste.ini")
    assert "allowed_ports = [80,443,8123]" in text
    assert "allowed_hosts = [127.0.0.1]" in text
    assert "flavor = keystone" in text
    assert "postgresql+psycopg2://postgres@/glance?host=/sock" in text
    assert "www_authenticate_uri = http://127.0.0.1:15000/v3" in text


def test_secrets_generated_once_and_private(tmp_path):
    layout = config.Layout(tmp_path)
    first = config.load_or_create_secrets(layout)
    assert set(first) == {"admin", "demo", "alt_demo", "glance"}
    assert len(set(first.values())) == 4
    assert config.load_or_create_secrets(layout) == first
    assert Path(layout.secrets_file).stat().st_mode & 0o077 == 0
    clouds = json.loads(config.clouds_yaml(layout, first))["clouds"]
    assert clouds["devstack-admin"]["auth"]["password"] == first["admin"]


@pytest.mark.django_db
def test_session_store_reads_live_sessions_only():
    import datetime

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from glance_rest.sessions import SessionStore

    store = SessionStore()
    store["k"] = "v"
    store.save()
    assert SessionStore(store.session_key).load() == {"k": "v"}
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1))
    stale = SessionStore(store.session_key)
    assert stale.load() == {} and stale.session_key is None
    assert SessionStore("no-such-session-key").load() == {}


def test_token_cache_trusts_a_token_until_it_is_about_to_expire(settings):
    import datetime

    from keystoneauth1 import access

    from glance_rest.auth import TokenCache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "token-cache-test"}}
    now = datetime.datetime.now(datetime.timezone.utc)

    def body(seconds):
        expires = (now + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        return {"token": {"expires_at": expires, "methods": ["password"],
                          "user": {"id": "u", "name": "n"}, "project": {"id": "p", "name": "p"}}}

    cache = TokenCache()
    fresh, dying = body(3600), body(10)  # dying: under 30 s left
    cache.put("fresh", fresh, access.create(body=fresh))
    cache.put("dying", dying, access.create(body=dying))
    found = cache.get("fresh", "the-token")
    assert found.project_id == "p" and found.auth_token == "the-token"
    assert cache.get("dying", "t") is None
    cache.drop("fresh")
    assert cache.get("fresh", "the-token") is None


# --- the Glance connection -----------------------------------------------------
class _ClosesReusedConnections:
    """An HTTP server that answers the first request on each connection and
    closes the connection when a second one arrives on it, as a server whose
    keep-alive timeout ends just as the client reuses the connection."""

    def __init__(self):
        import socket
        import threading

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.answered = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import threading

        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            body = b'{"ok": true}'
            self.answered += 1  # before the answer: the client checks it after
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            conn.recv(65536)  # the next request on this connection: closed unanswered

    def close(self):
        self.listener.close()


def test_a_read_is_sent_again_when_glance_drops_a_reused_connection():
    from glanceclient import exc as g

    from glance_rest.backend import glance_client

    server = _ClosesReusedConnections()
    try:
        client = glance_client(f"http://127.0.0.1:{server.port}", "token")
        for _ in range(3):
            assert client.http_client.get("/v2/images")[1] == {"ok": True}
        assert server.answered == 3
        # A change is never sent twice: the dropped connection is an error.
        with pytest.raises(g.CommunicationError) as raised:
            client.http_client.patch("/v2/images/x", data="[]")
        assert from_client_error(raised.value).status == 503
    finally:
        server.close()