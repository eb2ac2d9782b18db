"""The OpenAPI document against the live API (gunicorn), by schemathesis:
no server error, no undocumented status, no response that breaks the schema."""

import json
import os
import re
import tomllib
import urllib.parse
from pathlib import Path

import pytest
import requests
import schemathesis
from glanceclient.exc import HTTPNotFound
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests import tally

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "glance_rest" / "openapi.json"
# The same configuration as the CLI run of --checks all (schemathesis.toml:
# which statuses an upload may get for data no schema can describe).
# Its auth block names the CLI's $TOKEN; here each call gets the token itself.
_settings = tomllib.loads((ROOT / "schemathesis.toml").read_text())
_settings.pop("auth")
# The operations whose answer an administrator's token takes past Keystone's
# and Glance's policy (the member's run meets only their 403): every project's
# images and the projects, creating an image (public ones too), a store's copy
# removed, copy-image, and every metadefs write and export.
ADMIN_OPERATIONS = (
    "listAllProjectsImages", "listAllProjects", "createImage", "importImage",
    "deleteImageFromStore", "createNamespace", "importNamespaces", "updateNamespace",
    "deleteNamespace", "exportNamespace", "addNamespaceResourceType",
    "removeNamespaceResourceType", "createNamespaceProperty", "updateNamespaceProperty",
    "deleteNamespaceProperty", "createNamespaceObject", "updateNamespaceObject",
    "deleteNamespaceObject", "createNamespaceTag", "updateNamespaceTag", "deleteNamespaceTag")
# The namespace the admin's calls under /namespaces/{namespace}/ act on: a
# generated name is only ever a 404. Its contents come from the run itself.
ADMIN_NAMESPACE = "GlanceRest::Contract::Admin"


DOCUMENT = json.loads(SPEC.read_text())


def _schema(operations=None, parameters=None):
    """The document, or only its ``operations`` (schemathesis' own include()
    filter was not applied to the parametrization: every operation ran)."""
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {**_settings, **({"parameters": parameters} if parameters else {})})
    config.projects.default.generation.update(modes=[schemathesis.GenerationMode.POSITIVE,
                                                     schemathesis.GenerationMode.NEGATIVE])
    if operations is None:
        return schemathesis.openapi.from_path(SPEC, config=config)
    paths = {}
    for path, methods in DOCUMENT["paths"].items():
        kept = {method: operation for method, operation in methods.items()
                if not isinstance(operation, dict) or "operationId" not in operation
                or operation["operationId"] in operations}
        if any(isinstance(op, dict) and "operationId" in op for op in kept.values()):
            paths[path] = kept
    return schemathesis.openapi.from_dict({**DOCUMENT, "paths": paths}, config=config)


schema = _schema()
admin_schema = _schema(ADMIN_OPERATIONS, {"path.namespace": ADMIN_NAMESPACE})
# What `schemathesis run --checks all` checks per call (the stateful phase's
# checks are the CLI run's: docs/api.md, "OpenAPI").
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, positive_data_acceptance,
          negative_data_rejection, missing_required_header, unsupported_method, ignored_auth]
# The admin's run reads a document of the admin's operations only, where a
# path's other methods (GET of a namespace, say) would look undeclared: the
# member's run checks undeclared methods on the whole document.
ADMIN_CHECKS = [check for check in CHECKS if check is not unsupported_method]
# Per operation; derandomized so that CI is repeatable. SCHEMATHESIS_EXAMPLES=150
# explores further (it found Glance's 500 on an empty visibility filter).
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))

pytestmark = [pytest.mark.stack, pytest.mark.slow]


@pytest.fixture(scope="module")
def alt_demo_images(stack):
    """Images schemathesis creates (as alt_demo) are deleted afterwards: its
    own, not the public ones an administrator's run makes meanwhile."""
    glance = stack.glance("alt_demo")
    own = {"owner": stack.project_id("alt_demo")}
    before = {i.id for i in glance.images.list(filters=own)}
    yield
    for image in glance.images.list(filters=own):
        if image.id not in before:
            if image.protected:
                glance.images.update(image.id, protected=False)
            glance.images.delete(image.id)


@pytest.fixture(scope="module")
def admin_leftovers(stack, api_server, tokens):
    """The namespace the admin's run acts on; afterwards, whatever the run made
    as admin (images, namespaces) is deleted, protected or not. Namespaces
    through the API, which quotes their names (glanceclient does not: a
    generated name holding '?' or '%' is not found by it)."""
    glance = stack.glance("admin")
    images = {i.id for i in glance.images.list(filters={"owner": stack.project_id("admin")})}
    namespaces = {n["namespace"] for n in glance.metadefs_namespace.list()}
    yield glance
    for image in glance.images.list(filters={"owner": stack.project_id("admin")}):
        if image.id not in images:
            if image.protected:
                glance.images.update(image.id, protected=False)
            glance.images.delete(image.id)
    headers = {"X-Auth-Token": tokens("admin")}
    left = []
    # Listed whole before deleting: a page's marker is its last namespace,
    # which a delete during the walk would take away (Glance's 404).
    for namespace in list(glance.metadefs_namespace.list()):
        if namespace["namespace"] not in namespaces:
            url = (f"{api_server.url}/api/glance/metadefs/namespaces/"
                   f"{urllib.parse.quote(namespace['namespace'], safe='')}/")
            requests.patch(url, json={"protected": False}, headers=headers, timeout=60)
            if requests.delete(url, headers=headers, timeout=60).status_code != 204:
                left.append(namespace["namespace"])
    assert left == [], "namespaces the admin's run made and nothing can delete"


def admin_namespace_ready(glance):
    """ADMIN_NAMESPACE there and not protected (a case may have deleted or
    protected it)."""
    try:
        namespace = glance.metadefs_namespace.get(ADMIN_NAMESPACE)
    except HTTPNotFound:
        glance.metadefs_namespace.create(namespace=ADMIN_NAMESPACE, visibility="public")
        return
    if namespace["protected"]:
        glance.metadefs_namespace.update(ADMIN_NAMESPACE, protected=False)


def test_the_admin_run_names_operations_the_document_has():
    """A name that is no operationId would leave that operation out silently;
    docs/api.md's CLI run as admin selects the same ones."""
    declared = {operation["operationId"] for path in DOCUMENT["paths"].values()
                for operation in path.values() if isinstance(operation, dict)}
    assert set(ADMIN_OPERATIONS) <= declared and len(set(ADMIN_OPERATIONS)) == 21
    selected = re.search(r"--include-operation-id-regex '([^']+)'",
                         (ROOT / "docs" / "api.md").read_text())[1]
    assert {op for op in declared if re.match(selected, op)} == set(ADMIN_OPERATIONS)


def test_served_document_is_the_kept_one(api_server):
    answer = requests.get(api_server.url + "/api/glance/openapi.json", timeout=30)
    assert answer.status_code == 200
    assert answer.json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms(case, api_server, stack, tokens, alt_demo_images):
    tally.counts["schemathesis examples"] += 1
    # A logout revokes the token it is sent: a token of its own, so that the
    # operations after it are still called by a logged-in user.
    token = stack.token("alt_demo") if case.path == "/api/auth/logout/" else tokens("alt_demo")
    case.call_and_validate(base_url=api_server.url, checks=CHECKS,
                           headers={"X-Auth-Token": token})


@admin_schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_for_an_administrator(case, api_server, tokens, admin_leftovers):
    tally.counts["schemathesis examples as admin"] += 1
    if "{namespace}" in case.path:
        admin_namespace_ready(admin_leftovers)
    case.call_and_validate(base_url=api_server.url, checks=ADMIN_CHECKS,
                           headers={"X-Auth-Token": tokens("admin")})
