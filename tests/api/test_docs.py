"""The shell examples of the README and docs/*.md, run as written, in order,
against the run's stack and API server, each answering the statuses its
marker says (tests/docblocks.py; the markers and the machinery are
unit-tested in tests/unit/test_docblocks.py).

Each document runs in one bash, from a scratch folder laid out as a checkout
after ``make run``: ``.venv-stack`` and ``stack`` (for ``python -m stack
token``) and ``.stack``, here the test stack's data folder. The docs' address
of the API and their web-download port become the run's; Keystone's port
comes from ``STACK_KEYSTONE_PORT``, as ``python -m stack token`` reads it."""

import os
from pathlib import Path

import pytest

from stack.testing import ROOT, STACK_PYTHON
from tests import docblocks

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What the docs say, as make run serves it -> what this run serves.
DOCS_API = "http://127.0.0.1:8000"
DOCS_IMPORT_PORT = "8123"


def runnable(doc):
    return [b for b in docblocks.blocks(doc.read_text(), doc.name) if b.run]


@pytest.mark.parametrize("doc", [d for d in DOCS if runnable(d)], ids=lambda p: p.name)
def test_the_examples_run_as_written(doc, stack, api_server, tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv-stack").symlink_to(Path(STACK_PYTHON).parents[1])
    (checkout / "stack").symlink_to(ROOT / "stack")
    (checkout / ".stack").symlink_to(stack.data_dir)
    (tmp_path / "tmp").mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("STACK_")}
    env.update({"STACK_KEYSTONE_PORT": str(stack.keystone_port),
                "TMPDIR": str(tmp_path / "tmp")})  # the docs' mktemp -d lands here
    blocks = runnable(doc)
    outcome = docblocks.run(blocks, {DOCS_API: api_server.url,
                                     DOCS_IMPORT_PORT: str(stack.import_port)},
                            cwd=checkout, env=env, folder=tmp_path, timeout=600)
    assert docblocks.problems(blocks, outcome) == [], outcome.output[-6000:]
