"""openapi.json is the one declaration: each of its operations is served by
the view method that names it, and the document served is the file."""

import json
import re

from django.test import Client
from django.urls import resolve

from glance_rest import contract, rest


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
