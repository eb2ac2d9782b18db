"""Hostile input: a corpus of malformed requests across every endpoint.

Every answer must be a 4xx with a JSON message; none a 5xx, a traceback, a
setting, a token or a password. The count is printed for the README.
"""

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from glance_rest import contract

from tests import tally
from tests.helpers import IMAGES, unique

pytestmark = pytest.mark.stack

NAMESPACES = "/api/glance/metadefs/namespaces/"
IMAGE = "{image}"  # replaced by a real image id of demo's


def _json_bodies():
    malformed = ["{", "}", "[", "{'name': 'x'}", '{"name": }', '{"name": "x",}', "nul\x00l",
                 '{"a": 1} trailing', "NaN-ish {", '{"name": "\\ud800"', "\ufeff{", "{{}}",
                 '"unterminated', "tru", "{\"a\":[1,2}", "0x10", "{\"a\": 01}", "\\", "{]"]
    non_objects = ["[]", "[1, 2]", '"a string"', "42", "3.14", "true", "false", "null",
                   '[{"name": "x"}]', '""']
    return malformed + non_objects


WRONG_FIELDS = [
    {"min_disk": "abc"}, {"min_disk": -1}, {"min_disk": 1.5}, {"min_disk": []}, {"min_disk": {}},
    {"min_disk": True}, {"min_ram": "1e3"}, {"min_ram": None}, {"protected": "maybe"},
    {"protected": 2}, {"protected": []}, {"tags": "a,b"}, {"tags": [1]}, {"tags": {}},
    {"tags": [None]}, {"visibility": "everyone"}, {"visibility": 1}, {"visibility": None},
    {"name": 1}, {"name": []}, {"name": {}}, {"name": "nul\x00name"},
    {"disk_format": "floppy"}, {"disk_format": 1}, {"container_format": "crate"},
    {"custom": {"nested": 1}}, {"custom": [1]},
    {"os_hidden": []},
    {"description": 5.5j if False else []}, {"kernel": {}}, {"os_hidden": "perhaps"},
    {"x" * 300: "long key"}, {"": "empty key"}, {"emoji\U0001F600": "x"}, {"a\x01b": "x"},
    {"k": "value \U0001F600"}, {"k": "bell\x07"}, {"k": "v" * 70000},
    {"kernel": "not-a-uuid"}, {"kernel_id": "not-a-uuid"}, {"ramdisk": "x"},
    {"os_distro": 5.5j if False else {}},
]
CREATE_ONLY = [
    # An image PATCH ignores "properties" (as Horizon does); a create applies it.
    {"properties": []}, {"properties": "x"}, {"properties": {"os_hash_value": "x"}},
    {"properties": {"name": "x"}}, {"properties": {"k": {"nested": 1}}},
    {"properties": {"": "empty"}}, {"properties": {"kernel_id": "nope"}},
    {"source_type": "ftp"}, {"source_type": 1},
    {"source_type": "url", "image_url": "ftp://example.com/x"},
    {"source_type": "url", "image_url": 1}, {"source_type": "url", "image_url": "javascript:x"},
    {"source_type": "url", "image_url": "http://127.0.0.1/x", "import_data": "maybe"},
    {"source_type": "file-direct", "data": "x.raw"},  # direct mode is off: 403
]
PROPERTY_BODIES = [
    {}, {"updated": []}, {"updated": "x"}, {"updated": None}, {"removed": ["a"]},
    {"updated": {}, "removed": "a"}, {"updated": {}, "removed": [1]},
    {"updated": {"os_hash_value": "x"}}, {"updated": {"os_hash_algo": "md5"}},
    {"updated": {"name": "x"}}, {"updated": {"status": "active"}}, {"updated": {"a": {}}},
    {"updated": {"os_hidden": "perhaps"}}, {"updated": {}, "removed": ["size"]},
    {"updated": {}, "removed": {}}, {"updated": {}, "removed": None},
    {"updated": {"x" * 256: "long"}}, {"updated": {}, "removed": ["x" * 256]},
    {"updated": {"\U0001F600": "x"}}, {"updated": {"a\nb": "x"}}, {"updated": {"k": "\x00"}},
    {"updated": {"kernel_id": "not-a-uuid"}}, {"updated": {"": "x"}},
]
BAD_QUERIES = [
    {"sort_key": "bogus"}, {"sort_key": "name; DROP TABLE images"}, {"sort_key": "../id"},
    {"sort_key": ""}, {"sort_dir": "sideways"}, {"sort_dir": "ASC "}, {"sort_dir": "1"},
    {"paginate": "perhaps"}, {"paginate": "2"}, {"reversed_order": "perhaps"},
    {"marker": "00000000-0000-0000-0000-000000000000"}, {"marker": "../../etc/passwd"},
    {"marker": "' OR 1=1 --"}, {"marker": "ü" * 50}, {"marker": "a\x00b"},
    {"size_min": "abc"}, {"size_max": "-"}, {"created_at": "bogus"},
    {"min_disk": "x"}, {"name\x00": "x"}, {"visibility": "x\x00"}, {"visibility": ""},
    {"visibility": "everyone"}, {"is_public": "AAA"}, {"sort_key": "owner"},
    {"sort_key": "visibility"},
    {"sort_key": "created_at", "sort_dir": "desc", "marker": "not-an-id", "paginate": "true"},
]
BAD_NAMESPACE_QUERIES = [
    {"sort_key": "bogus"}, {"sort_dir": "sideways"}, {"paginate": "perhaps"},
    {"marker": "No::Such::Namespace"}, {"marker": "' OR 1=1 --"}, {"limit": "x"},
    {"reversed_order": "maybe"}, {"resource_type": "x\x00y"}, {"visibility": "nonsense"},
]
MEMBER_BODIES = [{}, {"member": ""}, {"member": "a\x85"}, {"member": 5}, {"member": None},
                 {"member": ["a"]}, {"member": "x" * 300}, {"member": "a\x00b"},
                 {"member": "\U0001F600"}]
MEMBER_STATUS_BODIES = [{}, {"status": "yes"}, {"status": None}, {"status": ["accepted"]},
                        {"status": "ACCEPTED"}, {"status": "accepted\x00"}]
IMPORT_BODIES = [
    {}, {"method": None}, {"method": "teleport"}, {"method": ["glance-direct"]},
    {"method": "web-download"}, {"method": "web-download", "uri": "file:///etc/passwd"},
    {"method": "web-download", "uri": 5}, {"method": "glance-direct", "uri": "http://x/"},
    {"method": "copy-image", "stores": "local"}, {"method": "copy-image", "stores": []},
    {"method": "copy-image", "stores": [""]}, {"method": "copy-image", "stores": [1]},
    {"method": "copy-image", "all_stores": "maybe"},
    {"method": "copy-image", "stores": ["archive"], "all_stores": True},
    {"method": "glance-direct", "all_stores_must_succeed": "no"},
    {"method": "glance-direct", "surprise": True},
]
BAD_SEGMENTS = ["x" * 300, "%F0%9F%98%80", "%00", "%C2%85"]
TRICKY_IDS = ["..", "%2e%2e", "a%00b", "%27%20OR%201%3D1", "%C3%BCml%C3%A4ut", "x" * 3000,
              "%22%3E%3Cscript%3E", "00000000-0000-0000-0000-000000000000", "default",
              "%0d%0aX-Injected:%201"]
NOT_ALLOWED = [
    ("post", "/api/glance/version/"), ("delete", "/api/glance/version/"), ("put", IMAGE + "/"),
    ("post", IMAGE + "/"), ("delete", IMAGES), ("patch", IMAGES), ("put", IMAGE + "/properties/"),
    ("delete", IMAGE + "/properties/"), ("get", IMAGE + "/actions/deactivate"),
    ("delete", IMAGE + "/actions/reactivate"), ("post", NAMESPACES), ("put", NAMESPACES),
    ("delete", "/api/glance/metadefs/resourcetypes/"), ("post", IMAGE + "/data/"),
    ("get", "/api/auth/login/"), ("get", "/api/auth/logout/"), ("put", "/api/auth/session/"),
    ("get", IMAGE + "/stage/"), ("post", IMAGE + "/stage/"), ("get", IMAGE + "/import/"),
    ("put", IMAGE + "/import/"), ("post", "/api/glance/info/"), ("delete", "/api/glance/info/usage/"),
    ("get", IMAGE + "/tags/x/"), ("post", IMAGE + "/tags/x/"), ("post", IMAGE + "/tasks/"),
    ("get", IMAGE + "/stores/local/"), ("put", IMAGE + "/stores/local/"),
    ("patch", IMAGE + "/members/"), ("delete", IMAGE + "/members/"),
    ("post", IMAGE + "/members/p/"), ("post", NAMESPACES + "OS::Compute::Libvirt/"),
    ("post", "/api/glance/openapi.json"), ("delete", "/api/auth/projects/"),
    ("get", "/api/auth/switch/"),
]
WRONG_TYPES = [
    ("put", IMAGES, "text/plain", '{"name": "x"}'),
    ("put", IMAGES, "application/x-www-form-urlencoded", "name=x"),
    ("put", IMAGES, "application/xml", "<image/>"),
    ("patch", IMAGE + "/", "text/plain", '{"name": "x"}'),
    ("patch", IMAGE + "/properties/", "text/html", '{"updated": {}}'),
    ("post", IMAGES, "application/json", '{"name": "x"}'),
    ("post", IMAGES, "text/plain", "data"),
    ("put", IMAGE + "/data/", "application/json", '{"a": 1}'),
    ("put", IMAGE + "/data/", "text/plain", "bytes"),
    ("put", IMAGES, "", '{"name": "x"}'),
    ("put", IMAGE + "/stage/", "application/json", '{"a": 1}'),
    ("put", IMAGE + "/stage/", "multipart/form-data", "x"),
    ("post", IMAGE + "/members/", "text/plain", '{"member": "p"}'),
    ("post", IMAGE + "/import/", "application/x-www-form-urlencoded", "method=glance-direct"),
    ("put", IMAGE + "/members/p/", "text/plain", '{"status": "accepted"}'),
    ("put", IMAGE + "/data/?store=", "application/octet-stream", "bytes"),
    ("put", IMAGE + "/data/?store=%00", "application/octet-stream", "bytes"),
    ("put", IMAGE + "/data/?shop=local", "application/octet-stream", "bytes"),
]


def build_corpus():
    cases = []
    for body in _json_bodies():
        cases.append(("put", IMAGES, body, "application/json", "token"))
        cases.append(("patch", IMAGE + "/", body, "application/json", "token"))
        cases.append(("patch", IMAGE + "/properties/", body, "application/json", "token"))
    for fields in WRONG_FIELDS:
        cases.append(("put", IMAGES, json.dumps({"name": "x", "disk_format": "raw", **fields}),
                      "application/json", "token"))
        cases.append(("patch", IMAGE + "/", json.dumps(fields), "application/json", "token"))
    for fields in CREATE_ONLY:
        cases.append(("put", IMAGES, json.dumps({"name": "x", "disk_format": "raw", **fields}),
                      "application/json", "token"))
    for body in PROPERTY_BODIES:
        cases.append(("patch", IMAGE + "/properties/", json.dumps(body), "application/json",
                      "token"))
    for body in MEMBER_BODIES:
        cases.append(("post", IMAGE + "/members/", json.dumps(body), "application/json", "token"))
    for body in MEMBER_STATUS_BODIES:
        cases.append(("put", IMAGE + "/members/some-project/", json.dumps(body),
                      "application/json", "token"))
    for body in IMPORT_BODIES:
        cases.append(("post", IMAGE + "/import/", json.dumps(body), "application/json", "token"))
    for segment in BAD_SEGMENTS:
        cases.append(("put", IMAGE + f"/tags/{segment}/", None, None, "token"))
        cases.append(("delete", IMAGE + f"/stores/{segment}/", None, None, "token"))
        cases.append(("delete", IMAGE + f"/members/{segment}/", None, None, "token"))
    for query in BAD_QUERIES:
        cases.append(("get", IMAGES, query, None, "token"))
    for query in BAD_NAMESPACE_QUERIES:
        cases.append(("get", NAMESPACES, query, None, "token"))
    for tricky in TRICKY_IDS:
        for suffix in ("/", "/properties/", "/data/", "/members/", "/tasks/"):
            cases.append(("get", IMAGES + tricky + suffix, None, None, "token"))
        cases.append(("delete", IMAGES + tricky + "/", None, None, "token"))
        cases.append(("post", IMAGES + tricky + "/actions/deactivate", None, None, "token"))
        cases.append(("put", IMAGES + tricky + "/tags/x/", None, None, "token"))
        cases.append(("get", NAMESPACES + tricky + "/", None, None, "token"))
    for method, path in NOT_ALLOWED:
        cases.append((method, path, None, None, "token"))
    for method, path, content_type, body in WRONG_TYPES:
        cases.append((method, path, body, content_type, "token"))
    too_long = "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    big = json.dumps({"name": "x", "description": too_long})
    cases.append(("put", IMAGES, big, "application/json", "token"))
    cases.append(("patch", IMAGE + "/", big, "application/json", "token"))
    # Session callers: CSRF token and XHR header.
    for method, path, body in (("put", IMAGES, '{"name": "x"}'), ("patch", IMAGE + "/", "{}"),
                               ("delete", IMAGE + "/", None),
                               ("post", IMAGE + "/actions/deactivate", None),
                               ("patch", IMAGE + "/properties/", '{"updated": {}}'),
                               ("post", IMAGE + "/members/", '{"member": "p"}'),
                               ("put", IMAGE + "/tags/x/", None),
                               ("post", IMAGE + "/import/", '{"method": "glance-direct"}'),
                               ("delete", IMAGE + "/stores/local/", None),
                               ("post", "/api/auth/logout/", None)):
        cases.append((method, path, body, "application/json", "session-xhr-no-csrf"))
    for path in (IMAGES, IMAGE + "/", IMAGE + "/properties/", NAMESPACES,
                 "/api/glance/metadefs/resourcetypes/", "/api/glance/version/",
                 IMAGE + "/members/", IMAGE + "/tasks/", "/api/glance/info/",
                 "/api/glance/info/usage/", NAMESPACES + "OS::Compute::Libvirt/"):
        cases.append(("get", path, None, None, "session-no-xhr"))
    for token in ("x", "x" * 5000, "Bearer abc", "' OR 1=1 --", "gAAAAAB" + "A" * 180):
        cases.append(("get", IMAGES, None, None, f"token:{token}"))
    return cases


CORPUS = build_corpus()


def _documented_path(path):
    """The openapi.json path a corpus request is sent to (None: none)."""
    path = path.replace(IMAGE, "/api/glance/images/x1").split("?")[0]
    for template in contract.DOCUMENT["paths"]:
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template.rstrip("/")))
        if re.fullmatch(pattern + "/?", path):
            return template
    return None


def test_corpus_reaches_every_documented_endpoint():
    """The corpus is built from the lists above: each path of openapi.json
    must get malformed requests (a new endpoint needs cases here)."""
    reached = {_documented_path(case[1]) for case in CORPUS}
    assert set(contract.DOCUMENT["paths"]) - reached == set()
    print(f"\nhostile corpus: {len(CORPUS)} malformed requests")


@pytest.fixture(scope="module")
def demo_glance(stack):
    """One direct client for the module: one token, the schema read once."""
    return stack.glance("demo")


@pytest.fixture(scope="module")
def target_image(demo_glance):
    image = demo_glance.images.create(name=unique("target"), disk_format="raw",
                                      container_format="bare")
    yield image.id
    demo_glance.images.delete(image.id)


@pytest.fixture(scope="module")
def session_client(stack, django_db_blocker):
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(OPENSTACK_KEYSTONE_URL=stack.keystone_url):
        client = Client(enforce_csrf_checks=True)
        client.get("/api/auth/session/")
        answer = client.post("/api/auth/login/", json.dumps(
            {"username": "demo", "password": stack.passwords["demo"]}),
            content_type="application/json", HTTP_X_REQUESTED_WITH="XMLHttpRequest",
            HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
        assert answer.status_code == 200
    return client


def _forbidden_texts(stack, tokens):
    passwords = list(stack.passwords.values())
    return ["Traceback", 'File "', settings.SECRET_KEY, tokens("demo"), *passwords]


@pytest.mark.parametrize("case", CORPUS,
                         ids=[f"{c[0]} {c[1][:40]} #{i}" for i, c in enumerate(CORPUS)])
def test_hostile_request_is_a_clean_4xx(case, api_settings, db, stack, tokens, target_image,
                                        session_client, demo_glance):
    tally.counts["malformed requests"] += 1
    method, path, body, content_type, caller = case
    path = path.replace(IMAGE, IMAGES + target_image)
    if caller == "token":
        client, extra = Client(), {"HTTP_X_AUTH_TOKEN": tokens("demo")}
    elif caller.startswith("token:"):
        client, extra = Client(), {"HTTP_X_AUTH_TOKEN": caller[len("token:"):]}
    elif caller == "session-xhr-no-csrf":
        client, extra = session_client, {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    else:
        client, extra = session_client, {}
    call = getattr(client, method)
    if method == "get":
        answer = call(path, body or {}, **extra)
    elif body is None:
        answer = call(path, **extra)
    else:
        answer = call(path, body, content_type=content_type, **extra)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.content[:300])
    text = answer.content.decode("utf-8", "replace")
    message = json.loads(text)["error"]["message"]
    assert message
    for secret in _forbidden_texts(stack, tokens):
        assert secret not in text
    if answer.status_code == 405:
        assert answer["Allow"]
    # The target image is untouched by all of this.
    assert demo_glance.images.get(target_image).name.startswith("target")
