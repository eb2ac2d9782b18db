"""One call's large metadefs import does not hold up another's small one:
each call hands the shared pool a few documents at a time
(glance/metadefs.py metadefs_namespaces_import), so a second call's document
starts at once instead of queueing behind the first call's rest. Two calls
in one API process (its pool), the admin's token, real Glance."""

import json
import threading
import time

import pytest
from django.test import Client

from tests.helpers import in_glance, remove_from_glance, unique

pytestmark = [pytest.mark.stack, pytest.mark.slow]

IMPORT = "/api/glance/metadefs/import/"
LARGE = 48


def document(name):
    """A namespace with a few properties and an object: rows Glance writes one by one."""
    properties = {f"p{i}": {"title": f"P{i}", "type": "string"} for i in range(5)}
    return {"namespace": name, "display_name": "Import fairness", "properties": properties,
            "objects": [{"name": "o", "properties": {"q": {"title": "Q", "type": "integer"}}}]}


def test_a_large_import_does_not_hold_up_a_small_one(api_settings, stack, tokens):
    glance = stack.glance("admin")
    prefix = unique("Fairness")
    large = [document(f"{prefix}::A{i:03}") for i in range(LARGE)]
    small = [document(f"{prefix}::B")]
    finished = {}

    def call(who, documents):
        started = time.monotonic()
        answer = Client(HTTP_X_AUTH_TOKEN=tokens("admin")).post(
            IMPORT, json.dumps({"namespaces": documents}), content_type="application/json")
        finished[who] = (answer, time.monotonic() - started, time.monotonic())

    first = threading.Thread(target=call, args=("large", large))
    try:
        first.start()
        deadline = time.monotonic() + 60
        while in_glance(glance, large[0]["namespace"]) is None:  # the large one is under way
            assert time.monotonic() < deadline, "the large import did not start"
            time.sleep(0.05)
        call("small", small)
        first.join(300)
        assert not first.is_alive(), "the large import did not end"
        (large_answer, large_took, large_end), (small_answer, small_took, small_end) = (
            finished["large"], finished["small"])
        assert [item["status"] for item in large_answer.json()["items"]] == [201] * LARGE
        assert [item["status"] for item in small_answer.json()["items"]] == [201]
        print(f"\nimport fairness: the small import answered in {small_took * 1000:.0f} ms, "
              f"the large one ({LARGE} documents) in {large_took * 1000:.0f} ms")
        assert small_end < large_end
        # Sent once the large one's first document was in, it did not wait
        # behind the rest: a document's time, not most of the large one's.
        assert small_took < large_took / 4
    finally:
        first.join(300)
        for namespace in [*large, *small]:
            remove_from_glance(glance, namespace["namespace"])
