"""Hostile input: a corpus of malformed requests across every endpoint.

Every answer is the status, error ``code`` and ``field`` (the input at
fault, or none) its case states, with a JSON message; none a 5xx, a
traceback, a setting, a token or a password; and the target image, as Glance
holds it, is the same after each case. The count is printed for the README.

Where the expectations come from (each group below says which):
- the API's own checks, before Glance is asked: malformed JSON (400
  ``bad_request``, glance_rest/rest.py ``parse_json_body``), a body that is no
  object or breaks openapi.json (400 ``bad_input`` with ``field``,
  glance_rest/contract.py), the rules of glance_rest/params.py (400
  ``bad_input``), a wrong content type (415), a method a view does not serve
  (405, with ``Allow``), a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), the
  browser checks (400 without X-Requested-With, 403 without the CSRF token),
  which follow the credential, not the X-Auth-Token header (an empty or blank
  one beside the session's cookie, standalone and mounted as Horizon mounts
  this app; any at login), an
  id no Glance could hold (404, glance_rest/glance/client.py ``quote``);
- Glance 33's own answer, passed through (glance_rest/errors.py
  ``PASSED_THROUGH``), where the request reaches it: cited per group.
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
# A namespace every stack has (public); no case below reaches Glance's policy
# with a write to it: each is refused before Glance is asked.
NAMESPACE = NAMESPACES + "OS::Compute::Libvirt/"
IMAGE = "{image}"  # replaced by a real image id of demo's
# Who calls, (client, X-Requested-With sent, X-Auth-Token): the client is
# "none" (no cookie), "browser" (the CSRF cookie, no login), "session" (logged
# in through /api/auth/login/) or "mounted" (logged in to a Horizon this app is
# mounted in: tests/api/horizon_mounted.py); the token None (no header),
# "demo" (demo's real token) or the header's text.
TOKEN = ("none", False, "demo")

# The expected answers, (status, code, field): field None where the answer names none.
BAD_JSON = (400, "bad_request", None)
BAD_REQUEST = (400, "bad_request", None)
NOT_AUTHENTICATED = (401, "not_authenticated", None)
FORBIDDEN = (403, "forbidden", None)
NOT_FOUND = (404, "not_found", None)
NOT_ALLOWED_405 = (405, "method_not_allowed", None)
TOO_LARGE = (413, "too_large", None)
UNSUPPORTED = (415, "unsupported_media_type", None)


def bad_input(field):
    """400 bad_input naming ``field``, the one at fault."""
    return (400, "bad_input", field)


# Not JSON at all: 400 bad_request ("The body is not valid JSON").
MALFORMED_JSON = ["{", "}", "[", "{'name': 'x'}", '{"name": }', '{"name": "x",}', "nul\x00l",
                  '{"a": 1} trailing', "NaN-ish {", '{"name": "\\ud800"', "\ufeff{", "{{}}",
                  '"unterminated', "tru", "{\"a\":[1,2}", "0x10", "{\"a\": 01}", "\\", "{]"]
# JSON, but not an object: 400 bad_input, field "body".
NON_OBJECTS = ["[]", "[1, 2]", '"a string"', "42", "3.14", "true", "false", "null",
               '[{"name": "x"}]', '""']

# Each refused by openapi.json or params.py (the image schema's rules): 400
# bad_input, on create and on update alike.
WRONG_FIELDS = [
    ({"min_disk": "abc"}, "min_disk"), ({"min_disk": -1}, "min_disk"),
    ({"min_disk": 1.5}, "min_disk"), ({"min_disk": []}, "min_disk"),
    ({"min_disk": {}}, "min_disk"), ({"min_disk": True}, "min_disk"),
    ({"min_ram": "1e3"}, "min_ram"), ({"min_ram": None}, "min_ram"),
    ({"protected": "maybe"}, "protected"), ({"protected": 2}, "protected"),
    ({"protected": []}, "protected"), ({"tags": "a,b"}, "tags"), ({"tags": [1]}, "tags"),
    ({"tags": {}}, "tags"), ({"tags": [None]}, "tags"), ({"visibility": "everyone"}, "visibility"),
    ({"visibility": 1}, "visibility"), ({"visibility": None}, "visibility"), ({"name": 1}, "name"),
    ({"name": []}, "name"), ({"name": {}}, "name"), ({"name": "nul\x00name"}, "name"),
    ({"disk_format": "floppy"}, "disk_format"), ({"disk_format": 1}, "disk_format"),
    ({"container_format": "crate"}, "container_format"), ({"custom": {"nested": 1}}, "custom"),
    ({"custom": [1]}, "custom"), ({"os_hidden": []}, "os_hidden"),
    ({"description": []}, "description"), ({"kernel": {}}, "kernel"),
    ({"os_hidden": "perhaps"}, "os_hidden"),
    ({"x" * 300: "long key"}, "x" * 40),
    ({"": "empty key"}, "property"), ({"emoji\U0001F600": "x"}, "emoji\U0001f600"),
    ({"a\x01b": "x"}, "a\x01b"), ({"k": "value \U0001F600"}, "k"), ({"k": "bell\x07"}, "k"),
    ({"k": "v" * 70000}, "k"), ({"kernel": "not-a-uuid"}, "kernel"),
    ({"kernel_id": "not-a-uuid"}, "kernel_id"), ({"ramdisk": "x"}, "ramdisk"),
    ({"os_distro": {}}, "os_distro"),
]
# 400 bad_input (openapi.json, or params.py: read-only, base attribute, schema-image.json).
CREATE_ONLY = [
    # An image PATCH ignores "properties" (as Horizon does); a create applies it.
    ({"properties": []}, "properties"), ({"properties": "x"}, "properties"),
    ({"properties": {"os_hash_value": "x"}}, "os_hash_value"),
    ({"properties": {"name": "x"}}, "name"), ({"properties": {"k": {"nested": 1}}}, "k"),
    ({"properties": {"": "empty"}}, "property"),
    ({"properties": {"kernel_id": "nope"}}, "kernel_id"), ({"source_type": "ftp"}, "source_type"),
    ({"source_type": 1}, "source_type"),
    ({"source_type": "url", "image_url": "ftp://example.com/x"}, "image_url"),
    ({"source_type": "url", "image_url": 1}, "image_url"),
    ({"source_type": "url", "image_url": "javascript:x"}, "image_url"),
    ({"source_type": "url", "image_url": "http://127.0.0.1/x", "import_data": "maybe"},
     "import_data"),
]
# Direct mode is off (IMAGES_UPLOAD_MODE=legacy): 403 forbidden (creation.check_upload_mode).
DIRECT_UPLOAD = {"source_type": "file-direct", "data": "x.raw"}
# 400 bad_input (openapi.json, params.property_changes).
PROPERTY_BODIES = [
    ({}, "updated"), ({"updated": []}, "updated"), ({"updated": "x"}, "updated"),
    ({"updated": None}, "updated"), ({"removed": ["a"]}, "updated"),
    ({"updated": {}, "removed": "a"}, "removed"), ({"updated": {}, "removed": [1]}, "removed"),
    ({"updated": {"os_hash_value": "x"}}, "os_hash_value"),
    ({"updated": {"os_hash_algo": "md5"}}, "os_hash_algo"), ({"updated": {"name": "x"}}, "name"),
    ({"updated": {"status": "active"}}, "status"), ({"updated": {"a": {}}}, "a"),
    ({"updated": {"os_hidden": "perhaps"}}, "os_hidden"),
    ({"updated": {}, "removed": ["size"]}, "size"), ({"updated": {}, "removed": {}}, "removed"),
    ({"updated": {}, "removed": None}, "removed"),
    ({"updated": {"x" * 256: "long"}}, "x" * 40),
    ({"updated": {}, "removed": ["x" * 256]}, "removed"),
    ({"updated": {"\U0001F600": "x"}}, "\U0001f600"), ({"updated": {"a\nb": "x"}}, "a\nb"),
    ({"updated": {"k": "\x00"}}, "k"), ({"updated": {"kernel_id": "not-a-uuid"}}, "kernel_id"),
    ({"updated": {"": "x"}}, "property"),
]
# Refused by openapi.json: 400 bad_input.
BAD_QUERIES = [
    {"sort_key": "bogus"}, {"sort_key": "name; DROP TABLE images"}, {"sort_key": "../id"},
    {"sort_key": ""}, {"sort_dir": "sideways"}, {"sort_dir": "ASC "}, {"sort_dir": "1"},
    {"paginate": "perhaps"}, {"paginate": "2"}, {"reversed_order": "perhaps"},
    {"marker": "a\x00b"},
    {"size_min": "abc"}, {"size_max": "-"},
    {"min_disk": "x"}, {"name\x00": "x"}, {"visibility": "x\x00"}, {"visibility": ""},
    {"visibility": "everyone"}, {"is_public": "AAA"}, {"sort_key": "owner"},
    {"sort_key": "visibility"},
]
# The administrator's list refuses these as the project list does, and its
# own: 400 bad_input (openapi.json), whoever asks.
BAD_ADMIN_QUERIES = BAD_QUERIES + [
    {"orphaned": "maybe"}, {"orphaned": ""}, {"project": "a\x00b"}, {"status": "x\x00"},
    {"disk_format": "\x00"}, {"sort_key": "project_name"},
]
# The import of several documents: 400 bad_input (openapi.json).
IMPORT_BODIES_MANY = [
    ({}, "namespaces"), ({"namespaces": []}, "namespaces"), ({"namespaces": "x"}, "namespaces"),
    ({"namespaces": [{}]}, "namespace"), ({"namespaces": [None]}, "namespaces"),
    ({"namespaces": [{"namespace": "a/b"}]}, "namespace"),
    ({"namespaces": [{"namespace": "n"}], "more": 1}, "more"),
    ({"namespaces": [{"namespace": "n"}] * 101}, "namespaces"), ({"namespace": "n"}, "namespaces"),
]
METADEFS_IMPORT = "/api/glance/metadefs/import/"
ADMIN_IMAGES = "/api/glance/admin/images/"
ADMIN_PROJECTS = "/api/glance/admin/projects/"
# Reach Glance, which answers 400 "No image found with ID <marker>" (its
# db/sqlalchemy/api.py _image_get, via the images index's HTTPBadRequest); the
# wrapper makes that 404 not_found naming the marker (glance/images.py).
UNKNOWN_IMAGE_MARKERS = [
    {"marker": "00000000-0000-0000-0000-000000000000"}, {"marker": "../../etc/passwd"},
    {"marker": "' OR 1=1 --"},
    {"sort_key": "created_at", "sort_dir": "desc", "marker": "not-an-id", "paginate": "true"},
]
# Reach Glance, which answers 400, passed through as bad_request:
# - a marker longer than an image id (36): _check_image_id raises ImageNotFound()
#   without the id, "Image with the given id %(image_id)s was not found", which is
#   not the "No image found" the wrapper turns into 404;
# - created_at without an ISO 8601 time: "Bad "created_at" query filter format".
GLANCE_BAD_IMAGE_QUERIES = [{"marker": "ü" * 50}, {"created_at": "bogus"}]
# Refused by openapi.json or params.py: 400 bad_input.
BAD_NAMESPACE_QUERIES = [
    {"sort_key": "bogus"}, {"sort_dir": "sideways"}, {"paginate": "perhaps"}, {"limit": "x"},
    {"reversed_order": "maybe"}, {"resource_type": "x\x00y"},
]
# Reach Glance: an unknown namespace marker is its 404 (metadef_namespaces.py
# index: NotFound -> HTTPNotFound), passed through.
UNKNOWN_NAMESPACE_MARKERS = [{"marker": "No::Such::Namespace"}, {"marker": "' OR 1=1 --"}]
# Reach Glance: "Invalid visibility value" (metadef_namespaces.py
# RequestDeserializer.index), 400 passed through as bad_request.
GLANCE_BAD_NAMESPACE_QUERIES = [{"visibility": "nonsense"}]
# All 400 bad_input (openapi.json).
MEMBER_BODIES = [{}, {"member": ""}, {"member": "a\x85"}, {"member": 5}, {"member": None},
                 {"member": ["a"]}, {"member": "x" * 300}, {"member": "a\x00b"},
                 {"member": "\U0001F600"}]
MEMBER_STATUS_BODIES = [{}, {"status": "yes"}, {"status": None}, {"status": ["accepted"]},
                        {"status": "ACCEPTED"}, {"status": "accepted\x00"}]
IMPORT_BODIES = [
    ({}, "method"), ({"method": None}, "method"), ({"method": "teleport"}, "method"),
    ({"method": ["glance-direct"]}, "method"), ({"method": "web-download"}, "uri"),
    ({"method": "web-download", "uri": "file:///etc/passwd"}, "uri"),
    ({"method": "web-download", "uri": 5}, "uri"),
    ({"method": "glance-direct", "uri": "http://x/"}, "uri"),
    ({"method": "copy-image", "stores": "local"}, "stores"),
    ({"method": "copy-image", "stores": []}, "stores"),
    ({"method": "copy-image", "stores": [""]}, "stores"),
    ({"method": "copy-image", "stores": [1]}, "stores"),
    ({"method": "copy-image", "all_stores": "maybe"}, "all_stores"),
    ({"method": "copy-image", "stores": ["archive"], "all_stores": True}, "all_stores"),
    ({"method": "glance-direct", "all_stores_must_succeed": "no"}, "all_stores_must_succeed"),
    ({"method": "glance-direct", "surprise": True}, "surprise"),
]
# Metadefs administration: each body refused by openapi.json, 400 bad_input.
NAMESPACE_DOCUMENTS = [
    ({}, "namespace"), ({"namespace": ""}, "namespace"), ({"namespace": 1}, "namespace"),
    ({"namespace": "a/b"}, "namespace"), ({"namespace": "x" * 81}, "namespace"),
    ({"namespace": "n\x00"}, "namespace"), ({"namespace": "n", "surprise": 1}, "surprise"),
    ({"namespace": "n", "visibility": "community"}, "visibility"),
    ({"namespace": "n", "protected": "yes"}, "protected"),
    ({"namespace": "n", "description": "d" * 501}, "description"),
    ({"namespace": "n", "display_name": []}, "display_name"),
    ({"namespace": "n", "properties": []}, "properties"),
    ({"namespace": "n", "properties": {"p": {}}}, "title"),
    ({"namespace": "n", "properties": {"p": {"title": "t", "type": "strin"}}}, "type"),
    ({"namespace": "n", "properties": {"a/b": {"title": "t", "type": "string"}}}, "a/b"),
    ({"namespace": "n", "properties": {"p": {"title": "t", "type": "string", "enum": [1]}}},
     "enum"),
    ({"namespace": "n", "properties": {"p": {"title": "t", "type": "integer", "minimum": 1.5}}},
     "minimum"),
    ({"namespace": "n", "objects": {}}, "objects"),
    ({"namespace": "n", "objects": [{"description": "d"}]}, "name"),
    ({"namespace": "n", "objects": [{"name": "o", "required": "p"}]}, "required"),
    ({"namespace": "n", "tags": ["t"]}, "tags"),
    ({"namespace": "n", "tags": [{"name": ""}]}, "name"),
    ({"namespace": "n", "resource_type_associations": [{"prefix": "p_"}]}, "name"),
    ({"namespace": "n", "resource_type_associations": [{"name": "r", "prefix": None}]}, "prefix"),
]
NAMESPACE_UPDATES = [
    ({"visibility": "everyone"}, "visibility"), ({"protected": "yes"}, "protected"),
    ({"protected": None}, "protected"), ({"namespace": "renamed"}, "namespace"),
    ({"description": "d" * 501}, "description"), ({"display_name": 1}, "display_name"),
    ({"properties": {}}, "properties"), ({"description": "bell\x07"}, "description"),
]
ASSOCIATION_BODIES = [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "a/b"}, "name"), ({"name": 1}, "name"),
    ({"name": "r", "prefix": 1}, "prefix"),
    ({"name": "r", "properties_target": "t" * 81}, "properties_target"),
    ({"name": "r", "created_at": "x"}, "created_at"),
    ({"name": "r", "surprise": True}, "surprise"),
]
PROPERTY_BODIES_NEW = [
    ({}, "name"), ({"name": "p"}, "title"), ({"name": "p", "title": "t"}, "type"),
    ({"title": "t", "type": "string"}, "name"),
    ({"name": "p", "title": "t", "type": "string", "confidential": True}, "confidential"),
    ({"name": "p", "title": "t", "type": "string", "minLength": -1}, "minLength"),
    ({"name": "p", "title": "t", "type": "array", "items": {"type": "list"}}, "type"),
    ({"name": "x" * 81, "title": "t", "type": "string"}, "name"),
]
PROPERTY_DEFINITIONS = [
    ({}, "title"), ({"title": "t"}, "type"), ({"type": "string"}, "title"),
    ({"title": 1, "type": "string"}, "title"),
    ({"title": "t", "type": "string", "default": {"a": 1}}, "default"),
    ({"title": "t", "type": "string", "readonly": "no"}, "readonly"),
]
OBJECT_BODIES = [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "o", "required": "p"}, "required"),
    ({"name": "o", "required": [1]}, "required"), ({"name": "o", "properties": []}, "properties"),
    ({"name": "o", "properties": {"p": {}}}, "title"), ({"name": "o", "self": "x"}, "self"),
    ({"name": "a/b"}, "name"),
]
TAG_BODIES = [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "a/b"}, "name"), ({"name": 1}, "name"),
    ({"name": "x" * 81}, "name"), ({"name": "t", "extra": 1}, "extra"), ({"name": None}, "name"),
]
# Path segments openapi.json refuses (length, '/', control or astral characters): 400 bad_input.
BAD_SEGMENTS = ["x" * 300, "%F0%9F%98%80", "%00", "%C2%85"]
# Ids sent to each image endpoint and as a namespace name. An image id with a
# control character, over 1,024 characters, or "." or "..", is refused before
# Glance (client.quote: 404); the others reach Glance, whose answer is 404 (no such
# image or namespace), except where noted in tricky_id_expectation.
TRICKY_IDS = ["..", "%2e%2e", "a%00b", "%27%20OR%201%3D1", "%C3%BCml%C3%A4ut", "x" * 3000,
              "%22%3E%3Cscript%3E", "00000000-0000-0000-0000-000000000000", "default",
              "%0d%0aX-Injected:%201"]
# 405 method_not_allowed, with Allow (rest.ApiView.http_method_not_allowed).
NOT_ALLOWED = [
    ("post", "/api/glance/version/"), ("delete", "/api/glance/version/"), ("put", IMAGE + "/"),
    ("post", IMAGE + "/"), ("delete", IMAGES), ("patch", IMAGES), ("put", IMAGE + "/properties/"),
    ("delete", IMAGE + "/properties/"), ("get", IMAGE + "/actions/deactivate"),
    ("delete", IMAGE + "/actions/reactivate"), ("put", NAMESPACES),
    ("delete", "/api/glance/metadefs/resourcetypes/"), ("post", IMAGE + "/data/"),
    ("get", "/api/auth/login/"), ("get", "/api/auth/logout/"), ("put", "/api/auth/session/"),
    ("get", IMAGE + "/stage/"), ("post", IMAGE + "/stage/"), ("get", IMAGE + "/import/"),
    ("put", IMAGE + "/import/"), ("post", "/api/glance/info/"),
    ("delete", "/api/glance/info/usage/"),
    ("get", IMAGE + "/tags/x/"), ("post", IMAGE + "/tags/x/"), ("post", IMAGE + "/tasks/"),
    ("get", IMAGE + "/stores/local/"), ("put", IMAGE + "/stores/local/"),
    ("patch", IMAGE + "/members/"), ("delete", IMAGE + "/members/"),
    ("post", IMAGE + "/members/p/"), ("post", NAMESPACES + "OS::Compute::Libvirt/"),
    ("put", NAMESPACE), ("delete", NAMESPACE + "export/"), ("post", NAMESPACE + "export/"),
    ("put", NAMESPACE + "resourcetypes/"), ("get", NAMESPACE + "resourcetypes/r/"),
    ("post", NAMESPACE + "resourcetypes/r/"), ("get", NAMESPACE + "properties/"),
    ("delete", NAMESPACE + "properties/"), ("post", NAMESPACE + "properties/p/"),
    ("get", NAMESPACE + "objects/"), ("patch", NAMESPACE + "objects/o/"),
    ("get", NAMESPACE + "tags/"), ("post", NAMESPACE + "tags/t/"),
    ("post", "/api/glance/openapi.json"), ("delete", "/api/auth/projects/"),
    ("delete", ADMIN_IMAGES), ("put", ADMIN_IMAGES), ("post", ADMIN_PROJECTS),
    ("get", METADEFS_IMPORT), ("put", METADEFS_IMPORT),
    ("get", "/api/auth/switch/"),
]
# 415 unsupported_media_type: JSON bodies not sent as application/json
# (rest.parse_json_body), uploads not sent as multipart/form-data (legacy create)
# or application/octet-stream (data, stage).
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
    ("post", NAMESPACES, "text/plain", '{"namespace": "n"}'),
    ("patch", NAMESPACE, "application/x-www-form-urlencoded", "protected=true"),
    ("post", NAMESPACE + "resourcetypes/", "text/plain", '{"name": "r"}'),
    ("post", NAMESPACE + "properties/", "application/xml", "<property/>"),
    ("put", NAMESPACE + "objects/o/", "text/plain", '{"name": "o"}'),
    ("post", NAMESPACE + "tags/", "text/plain", '{"name": "t"}'),
]
# The upload's query refused by openapi.json before the body is read: 400 bad_input.
BAD_UPLOAD_QUERIES = [
    ("put", IMAGE + "/data/?store=", "application/octet-stream", "bytes", "store"),
    ("put", IMAGE + "/data/?store=%00", "application/octet-stream", "bytes", "store"),
    ("put", IMAGE + "/data/?shop=local", "application/octet-stream", "bytes", "shop"),
]
IMAGE_ID_SUFFIXES = ("/", "/properties/", "/data/", "/members/", "/tasks/")
# Metadefs writes with a JSON body: malformed JSON and non-objects too.
METADEFS_BODIES = (("post", NAMESPACES), ("patch", NAMESPACE),
                   ("post", NAMESPACE + "resourcetypes/"), ("post", NAMESPACE + "properties/"),
                   ("put", NAMESPACE + "properties/p/"), ("post", NAMESPACE + "objects/"),
                   ("put", NAMESPACE + "objects/o/"), ("post", NAMESPACE + "tags/"),
                   ("put", NAMESPACE + "tags/t/"))


# One call of each unsafe kind per endpoint family, each with a body the
# endpoint would take: what the browser checks must stop.
UNSAFE_CALLS = (("put", IMAGES, '{"name": "x"}'), ("patch", IMAGE + "/", "{}"),
                ("delete", IMAGE + "/", None), ("post", IMAGE + "/actions/deactivate", None),
                ("patch", IMAGE + "/properties/", '{"updated": {}}'),
                ("post", IMAGE + "/members/", '{"member": "p"}'),
                ("put", IMAGE + "/tags/x/", None),
                ("post", IMAGE + "/import/", '{"method": "glance-direct"}'),
                ("delete", IMAGE + "/stores/local/", None),
                ("post", NAMESPACES, '{"namespace": "n"}'),
                ("post", METADEFS_IMPORT, '{"namespaces": [{"namespace": "n"}]}'),
                ("patch", NAMESPACE, '{"protected": false}'), ("delete", NAMESPACE, None),
                ("post", NAMESPACE + "tags/", '{"name": "t"}'),
                ("delete", NAMESPACE + "properties/p/", None), ("post", "/api/auth/logout/", None))
# X-Auth-Token values that are no token: empty, and blank.
BLANK_TOKENS = ("", " \t ")
LOGIN = "/api/auth/login/"
LOGIN_BODY = '{"username": "demo", "password": "{password}"}'  # demo's real password


def tricky_id_expectation(tricky, endpoint):
    """The answer to a tricky id at ``endpoint`` ("namespace" or an image path
    after the id, with its method)."""
    if endpoint == "namespace":
        # openapi.json: a namespace name is 1 to 80 characters, without '/'
        # or control characters (400); any other unknown name is Glance's 404.
        if len(tricky) > 80 or "%00" in tricky or "%0d" in tricky:
            return bad_input("namespace")
        return NOT_FOUND
    # ".." (and "%2e%2e") is refused before Glance (client.quote): sent, the
    # HTTP client would remove the dot segment and reach another Glance route.
    return NOT_FOUND


def build_corpus():
    """(method, path, body, content type, caller, (status, code, field)) of each case."""
    cases = []
    for body in MALFORMED_JSON:
        for method, path in (("put", IMAGES), ("patch", IMAGE + "/"),
                             ("patch", IMAGE + "/properties/")):
            cases.append((method, path, body, "application/json", TOKEN, BAD_JSON))
    for body in NON_OBJECTS:
        for method, path in (("put", IMAGES), ("patch", IMAGE + "/"),
                             ("patch", IMAGE + "/properties/")):
            cases.append((method, path, body, "application/json", TOKEN,
                          bad_input("body")))
    for fields, field in WRONG_FIELDS:
        cases.append(("put", IMAGES, json.dumps({"name": "x", "disk_format": "raw", **fields}),
                      "application/json", TOKEN, bad_input(field)))
        cases.append(("patch", IMAGE + "/", json.dumps(fields), "application/json", TOKEN,
                      bad_input(field)))
    for fields, field in CREATE_ONLY:
        cases.append(("put", IMAGES, json.dumps({"name": "x", "disk_format": "raw", **fields}),
                      "application/json", TOKEN, bad_input(field)))
    cases.append(("put", IMAGES, json.dumps({"name": "x", "disk_format": "raw", **DIRECT_UPLOAD}),
                  "application/json", TOKEN, FORBIDDEN))
    for body, field in PROPERTY_BODIES:
        cases.append(("patch", IMAGE + "/properties/", json.dumps(body), "application/json",
                      TOKEN, bad_input(field)))
    for body in MEMBER_BODIES:
        cases.append(("post", IMAGE + "/members/", json.dumps(body), "application/json", TOKEN,
                      bad_input("member")))
    for body in MEMBER_STATUS_BODIES:
        cases.append(("put", IMAGE + "/members/some-project/", json.dumps(body),
                      "application/json", TOKEN, bad_input("status")))
    for body, field in IMPORT_BODIES:
        cases.append(("post", IMAGE + "/import/", json.dumps(body), "application/json", TOKEN,
                      bad_input(field)))
    for body in MALFORMED_JSON[:6]:
        for method, path in METADEFS_BODIES:
            cases.append((method, path, body, "application/json", TOKEN, BAD_JSON))
    for body in NON_OBJECTS[:4]:
        for method, path in METADEFS_BODIES:
            cases.append((method, path, body, "application/json", TOKEN,
                          bad_input("body")))
    for bodies, method, path in ((NAMESPACE_DOCUMENTS, "post", NAMESPACES),
                                 (NAMESPACE_UPDATES, "patch", NAMESPACE),
                                 (ASSOCIATION_BODIES, "post", NAMESPACE + "resourcetypes/"),
                                 (PROPERTY_BODIES_NEW, "post", NAMESPACE + "properties/"),
                                 (PROPERTY_DEFINITIONS, "put", NAMESPACE + "properties/p/"),
                                 (OBJECT_BODIES, "post", NAMESPACE + "objects/"),
                                 (OBJECT_BODIES[2:], "put", NAMESPACE + "objects/o/"),
                                 (TAG_BODIES, "post", NAMESPACE + "tags/"),
                                 (TAG_BODIES, "put", NAMESPACE + "tags/t/")):
        for body, field in bodies:
            cases.append((method, path, json.dumps(body), "application/json", TOKEN,
                          bad_input(field)))
    for segment in BAD_SEGMENTS:
        for collection, field in (("resourcetypes", "resource_type"),
                                  ("properties", "property_name"), ("objects", "object_name"),
                                  ("tags", "tag")):
            cases.append(("delete", NAMESPACE + f"{collection}/{segment}/", None, None, TOKEN,
                          bad_input(field)))
    for segment in BAD_SEGMENTS:
        for method, collection, field in (("put", "tags", "tag"), ("delete", "stores", "store_id"),
                                          ("delete", "members", "member_id")):
            cases.append((method, IMAGE + f"/{collection}/{segment}/", None, None, TOKEN,
                          bad_input(field)))
    # A refused query names its one parameter.
    for query in BAD_QUERIES:
        cases.append(("get", IMAGES, query, None, TOKEN, bad_input(*query)))
    for queries, expected in ((UNKNOWN_IMAGE_MARKERS, (*NOT_FOUND[:2], "marker")),
                              (GLANCE_BAD_IMAGE_QUERIES, BAD_REQUEST)):
        for query in queries:
            cases.append(("get", IMAGES, query, None, TOKEN, expected))
    for body, field in IMPORT_BODIES_MANY:
        cases.append(("post", METADEFS_IMPORT, json.dumps(body), "application/json", TOKEN,
                      bad_input(field)))
    cases.append(("post", METADEFS_IMPORT, '{"namespaces": [', "application/json", TOKEN,
                  BAD_JSON))
    cases.append(("post", METADEFS_IMPORT, '{"namespaces": []}', "text/plain", TOKEN,
                  UNSUPPORTED))
    for query in BAD_ADMIN_QUERIES:
        cases.append(("get", ADMIN_IMAGES, query, None, TOKEN, bad_input(*query)))
    for query in BAD_NAMESPACE_QUERIES:
        cases.append(("get", NAMESPACES, query, None, TOKEN, bad_input(*query)))
    for queries, expected in ((UNKNOWN_NAMESPACE_MARKERS, NOT_FOUND),
                              (GLANCE_BAD_NAMESPACE_QUERIES, BAD_REQUEST)):
        for query in queries:
            cases.append(("get", NAMESPACES, query, None, TOKEN, expected))
    for tricky in TRICKY_IDS:
        for suffix in IMAGE_ID_SUFFIXES:
            cases.append(("get", IMAGES + tricky + suffix, None, None, TOKEN,
                          tricky_id_expectation(tricky, f"get {suffix}")))
        for method, suffix in (("delete", "/"), ("post", "/actions/deactivate"),
                               ("put", "/tags/x/")):
            cases.append((method, IMAGES + tricky + suffix, None, None, TOKEN,
                          tricky_id_expectation(tricky, f"{method} {suffix}")))
        for method, suffix in (("get", "/"), ("get", "/export/"), ("get", "/resourcetypes/"),
                               ("delete", "/")):
            cases.append((method, NAMESPACES + tricky + suffix, None, None, TOKEN,
                          tricky_id_expectation(tricky, "namespace")))
    for method, path in NOT_ALLOWED:
        cases.append((method, path, None, None, TOKEN, NOT_ALLOWED_405))
    for method, path, content_type, body in WRONG_TYPES:
        cases.append((method, path, body, content_type, TOKEN, UNSUPPORTED))
    for method, path, content_type, body, field in BAD_UPLOAD_QUERIES:
        cases.append((method, path, body, content_type, TOKEN, bad_input(field)))
    too_long = "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    big = json.dumps({"name": "x", "description": too_long})
    cases.append(("put", IMAGES, big, "application/json", TOKEN, TOO_LARGE))
    cases.append(("patch", IMAGE + "/", big, "application/json", TOKEN, TOO_LARGE))
    # Session callers without the CSRF token: 403 (rest.check_browser_request;
    # logout makes the same check for a session).
    for method, path, body in UNSAFE_CALLS:
        cases.append((method, path, body, "application/json", ("session", True, None),
                      FORBIDDEN))
    # Session callers without X-Requested-With: 400 bad_request.
    for path in (IMAGES, IMAGE + "/", IMAGE + "/properties/", NAMESPACES,
                 "/api/glance/metadefs/resourcetypes/", "/api/glance/version/",
                 IMAGE + "/members/", IMAGE + "/tasks/", "/api/glance/info/",
                 "/api/glance/info/usage/", NAMESPACES + "OS::Compute::Libvirt/",
                 NAMESPACE + "export/", NAMESPACE + "resourcetypes/", ADMIN_IMAGES,
                 ADMIN_PROJECTS):
        cases.append(("get", path, None, None, ("session", False, None), BAD_REQUEST))
    # Tokens Keystone does not know (401 or 404 from its GET /v3/auth/tokens, a
    # fernet token it cannot decrypt included): 401 not_authenticated (auth.token_credentials).
    for token in ("x", "x" * 5000, "Bearer abc", "' OR 1=1 --", "gAAAAAB" + "A" * 180):
        cases.append(("get", IMAGES, None, None, ("none", False, token), NOT_AUTHENTICATED))
    cases += browser_check_cases()
    return cases


def browser_check_cases():
    """The browser checks follow the credential, not the X-Auth-Token header
    (rest.ajax): a caller the session authenticates (this app's own, or
    Horizon's when mounted) with an empty or blank header still needs
    X-Requested-With (400) and the CSRF token (403); an unknown token sent
    beside the cookie is a 401, never the session's; the login needs both
    checks whatever token it is sent (last: a login let through would renew
    the session of the cases after it)."""
    cases = []
    for method, path, body in UNSAFE_CALLS:
        mounts = ("session",) if path.startswith("/api/auth/") else ("session", "mounted")
        for mount in mounts:
            for header in BLANK_TOKENS:
                cases.append((method, path, body, "application/json", (mount, False, header),
                              BAD_REQUEST))
                cases.append((method, path, body, "application/json", (mount, True, header),
                              FORBIDDEN))
            if not path.startswith("/api/auth/"):  # logout revokes the token it is sent
                cases.append((method, path, body, "application/json",
                              (mount, True, "not-a-token"), NOT_AUTHENTICATED))
    for client, headers in (("none", ("demo", "not-a-token", *BLANK_TOKENS)),
                            ("browser", ("demo", "")), ("session", ("demo", ""))):
        for header in headers:
            cases.append(("post", LOGIN, LOGIN_BODY, "application/json", (client, False, header),
                          BAD_REQUEST))
            cases.append(("post", LOGIN, LOGIN_BODY, "application/json", (client, True, header),
                          FORBIDDEN))
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
def target_as_created(demo_glance, target_image):
    """The target image as Glance holds it before any case is sent."""
    return dict(demo_glance.images.get(target_image))


def _logged_in_browser(stack):
    """A browser logged in through /api/auth/login/, as the panel logs in."""
    client = Client(enforce_csrf_checks=True)
    client.get("/api/auth/session/")
    answer = client.post(LOGIN, json.dumps(
        {"username": "demo", "password": stack.passwords["demo"]}),
        content_type="application/json", HTTP_X_REQUESTED_WITH="XMLHttpRequest",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert answer.status_code == 200
    return client


@pytest.fixture(scope="module")
def session_client(stack, django_db_blocker):
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(OPENSTACK_KEYSTONE_URL=stack.keystone_url):
        return _logged_in_browser(stack)


@pytest.fixture(scope="module")
def horizon_session(stack):
    """demo logged in to the Horizon this app is mounted in: its session
    cookie (tests/api/horizon_mounted.py)."""
    from keystoneauth1 import session as ks_session

    from stack.testing import REGION
    from tests.api import horizon_mounted

    access_info = stack.auth("demo").get_access(ks_session.Session())
    key = unique("horizon-session")
    horizon_mounted.USERS[key] = horizon_mounted.horizon_user(access_info, REGION)
    yield key
    del horizon_mounted.USERS[key]


def mounted_client(settings, session_key):
    """A browser with Horizon's session and CSRF cookies, calling this app
    mounted as glance_rest/horizon/urls.py mounts it."""
    settings.ROOT_URLCONF = "tests.api.horizon_mounted"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.api.horizon_mounted.HorizonUserMiddleware"]
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = session_key
    client.cookies["csrftoken"] = "c" * 32  # a well-formed CSRF secret, never sent as the header
    return client


def _forbidden_texts(stack, tokens):
    passwords = list(stack.passwords.values())
    return ["Traceback", 'File "', settings.SECRET_KEY, tokens("demo"), *passwords]


def _client(who, api_settings, session_client, horizon_session):
    if who == "session":
        return session_client
    if who == "mounted":
        return mounted_client(api_settings, horizon_session)
    # Django's test client skips the CSRF check unless told, browsers do not.
    client = Client(enforce_csrf_checks=True)
    if who == "browser":
        client.get("/api/auth/session/")  # the CSRF cookie
    return client


@pytest.mark.parametrize("case", CORPUS,
                         ids=[f"{c[0]} {c[1][:40]} #{i}" for i, c in enumerate(CORPUS)])
def test_hostile_request_gets_its_exact_answer(case, api_settings, db, stack, tokens, target_image,
                                               target_as_created, session_client, horizon_session,
                                               demo_glance):
    tally.counts["malformed requests"] += 1
    method, path, body, content_type, (who, xhr, token), (status, code, field) = case
    path = path.replace(IMAGE, IMAGES + target_image)
    if body is not None and "{password}" in body:
        body = body.replace("{password}", stack.passwords["demo"])
    client = _client(who, api_settings, session_client, horizon_session)
    extra = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"} if xhr else {}
    if token is not None:
        extra["HTTP_X_AUTH_TOKEN"] = tokens("demo") if token == "demo" else token
    call = getattr(client, method)
    if method == "get":
        answer = call(path, body or {}, **extra)
    elif body is None:
        answer = call(path, **extra)
    else:
        answer = call(path, body, content_type=content_type, **extra)
    text = answer.content.decode("utf-8", "replace")
    assert (answer.status_code, answer["Content-Type"]) == (status, "application/json"), text[:300]
    error = json.loads(text)["error"]
    assert (error["status"], error["code"], error.get("field")) == (status, code, field), error
    assert error["message"]
    for secret in _forbidden_texts(stack, tokens):
        assert secret not in text
    if status == 405:
        assert answer["Allow"]
    # The target image is untouched by all of this, as Glance holds it.
    assert dict(demo_glance.images.get(target_image)) == target_as_created
