"""openapi.json is the one declaration: each of its operations is served by
the view method that names it, and the document served is the file."""

import json
import re

import pytest
from django.test import Client
from django.urls import resolve

from glance_rest import contract, rest
from glance_rest.errors import BadInput


def sample_path(template):
    return re.sub(r"\{[^}]+\}", "x1", template)


def test_each_documented_operation_is_served_by_the_method_that_names_it():
    for path, item in contract.DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            view_class = resolve(sample_path(path)).func.view_class
            handler = getattr(view_class, method, None)
            assert handler is not None, (path, method)
            assert handler.operation_id == operation["operationId"], (path, method)


def test_each_view_method_names_a_documented_operation():
    served = []
    for view_class in rest._registered:
        for method in view_class.http_method_names:
            handler = getattr(view_class, method, None)
            if handler is not None and method != "options":
                assert handler.operation_id in contract.OPERATIONS, (view_class, method)
                served.append(handler.operation_id)
    assert sorted(served) == sorted(contract.OPERATIONS)


def test_served_document_is_the_declaration():
    answer = Client().get("/api/glance/openapi.json")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer.content == contract.DOCUMENT_PATH.read_bytes()
    assert json.loads(answer.content)["paths"]


def test_each_documented_path_is_served_with_and_without_its_trailing_slash():
    for path in contract.DOCUMENT["paths"]:
        sample = sample_path(path).rstrip("/")
        assert resolve(sample).func.view_class is resolve(sample + "/").func.view_class, path


# What the administrator's contract run found Glance 33 doing with names and
# defaults outside ASCII (tests/api/test_openapi.py, as admin): a namespace is
# created but its path is then read as Latin-1, so it is never found by name
# again (outside Latin-1, the create itself is Glance's 500 after the
# fact); a property's default is kept as bytes, and a non-ASCII one is Glance's
# 400 "Error decoding your request" with the namespace left made, empty.
@pytest.mark.parametrize("operation_id, body, field, message", [
    ("createNamespace", {"namespace": "Example::é"}, "namespace",
     "namespace: must be printable ASCII without '/', and not . or .."),
    ("createNamespace", {"namespace": "Example::Ⱦ"}, "namespace",
     "namespace: must be printable ASCII without '/', and not . or .."),
    # Addresses lose their dot segments: no call reaches such a namespace again.
    ("createNamespace", {"namespace": ".."}, "namespace",
     "namespace: must be printable ASCII without '/', and not . or .."),
    ("createNamespace", {"namespace": "Example", "properties": {"p": {
        "title": "P", "type": "string", "default": "é"}}}, "default",
     "default: must be ASCII text (Glance keeps it as bytes)"),
    ("createNamespaceProperty", {"name": "p", "title": "P", "type": "string", "default": "é"},
     "default", "default: must be ASCII text (Glance keeps it as bytes)"),
])
def test_names_and_defaults_glance_cannot_keep_are_refused(operation_id, body, field, message):
    with pytest.raises(BadInput) as refused:
        contract.operation(operation_id).check_body(body)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_ascii_names_and_defaults_pass():
    contract.operation("createNamespace").check_body({
        "namespace": "OS::Compute::Example ~x...", "properties": {"p": {
            "title": "Pé", "type": "string", "default": "tab\tand newline\n"}}})
