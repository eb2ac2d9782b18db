"""tests/docblocks.py: the docs' shell examples, their markers, and how a
document's examples are run and checked (tests/api/test_docs.py runs them on
the stack; here against a loopback file server)."""

import os
import subprocess
from pathlib import Path

import pytest

from tests import docblocks
from tests.helpers import FileServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

SAMPLE = """# Title

<!-- doc-test: run 201 200+ -->
```sh
curl -s -X PUT \\
     -d '{}' http://127.0.0.1:8000/x
```

```python
print("not shell")
```

1. In a list:

   <!-- doc-test: skip: needs an existing cloud -->
   ```sh
   make serve
   ```

```bash
echo unmarked
```
"""


def test_shell_blocks_are_found_with_their_markers():
    run, skipped, unmarked = docblocks.blocks(SAMPLE, "sample.md")
    assert (run.line, run.marked, run.run, run.statuses) == (4, True, True, ("201", "200+"))
    # Continuation lines keep their own indentation.
    assert run.text == "curl -s -X PUT \\\n     -d '{}' http://127.0.0.1:8000/x\n"
    assert (skipped.run, skipped.reason, skipped.text) == (False, "needs an existing cloud",
                                                           "make serve\n")
    assert (unmarked.where(), unmarked.marked) == ("sample.md:20", False)


@pytest.mark.parametrize("marker", [
    "<!-- doc-test: skip -->",            # no reason
    "<!-- doc-test: skip:  -->",
    "<!-- doc-test: run 20 -->",
    "<!-- doc-test: expect 200 -->",
])
def test_a_marker_that_does_not_parse_is_an_error(marker):
    with pytest.raises(ValueError, match=r"x\.md:2: unreadable marker"):
        docblocks.blocks(f"{marker}\n```sh\ntrue\n```\n", "x.md")


@pytest.mark.parametrize("expected, got, matches", [
    ((), [], True),
    (("201", "204"), ["201", "204"], True),
    (("201", "204"), ["201"], False),
    (("201", "204"), ["204", "201"], False),
    (("202", "200+", "204"), ["202", "200", "200", "200", "204"], True),
    (("202", "200+", "204"), ["202", "204"], False),
    (("200",), ["000"], False),
])
def test_statuses_match(expected, got, matches):
    assert docblocks.statuses_match(expected, got) is matches


def test_substitute_replaces_whole_words_only():
    text = "API=http://127.0.0.1:8000\npython3 -m http.server 8123; curl :8123/a :81234/b\n"
    assert docblocks.substitute(text, {"http://127.0.0.1:8000": "http://127.0.0.1:41000",
                                       "8123": "41001"}) == (
        "API=http://127.0.0.1:41000\npython3 -m http.server 41001; curl :41001/a :81234/b\n")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_shell_example_is_run_or_says_why_not(doc):
    for block in docblocks.blocks(doc.read_text(), doc.name):
        assert block.marked, f"{block.where()}: mark it <!-- doc-test: run ... --> or skip: why"
        assert block.run or block.reason
        if block.run:
            checked = subprocess.run(["bash", "-n"], input=block.text, text=True,
                                     capture_output=True)
            assert checked.returncode == 0, f"{block.where()}: {checked.stderr}"


def test_the_docs_run_what_a_newcomer_needs():
    """The examples that make the API's first steps are run, not skipped."""
    run = {b.where() for doc in DOCS for b in docblocks.blocks(doc.read_text(), doc.name)
           if b.run}
    assert any(w.startswith("README.md") for w in run)
    assert sum(w.startswith("api.md") for w in run) >= 10


@pytest.fixture
def files(tmp_path):
    (tmp_path / "here.txt").write_text("hello\n")
    with FileServer(tmp_path, 0) as server:
        yield server


def run(markdown, files, tmp_path, replacements=None):
    found = [b for b in docblocks.blocks(markdown, "t.md") if b.run]
    outcome = docblocks.run(found, replacements or {}, cwd=tmp_path,
                            env=dict(os.environ), folder=tmp_path, timeout=60)
    return found, outcome


def test_blocks_run_in_one_shell_and_each_curl_status_is_recorded(files, tmp_path):
    base = files.url("")[:-1]
    markdown = f"""
<!-- doc-test: run -->
```sh
URL=http://127.0.0.1:8000
sleep 300 &
```

<!-- doc-test: run 200 404 200+ -->
```sh
curl -s $URL/here.txt
curl -s -o /dev/null $URL/missing.txt
N=$(curl -s $URL/here.txt)
until [ "$(curl -s $URL/here.txt)" = hello ]; do sleep 1; done
```
"""
    found, outcome = run(markdown, files, tmp_path, {"http://127.0.0.1:8000": base})
    assert outcome.returncode == 0, outcome.output
    # What a reader sees: the answers, not the statuses.
    assert outcome.output == "hello\n"
    assert outcome.statuses == {0: [], 1: ["200", "404", "200", "200"]}
    assert docblocks.problems(found, outcome) == []


def test_a_wrong_status_and_a_failing_block_are_reported(files, tmp_path):
    base = files.url("")[:-1]
    markdown = f"""
<!-- doc-test: run 201 -->
```sh
curl -s -o /dev/null {base}/here.txt
```

<!-- doc-test: run 200 -->
```sh
false
curl -s {base}/here.txt
```

<!-- doc-test: run -->
```sh
echo never
```
"""
    found, outcome = run(markdown, files, tmp_path)
    assert outcome.returncode == 1
    assert docblocks.problems(found, outcome) == [
        "t.md:3: statuses 200, the marker says 201",
        "t.md:8: statuses none, the marker says 200",
        "t.md:14: never reached",
        "bash ended with 1 in the block at t.md:8",
    ]


def test_a_refused_connection_is_a_mismatch(tmp_path):
    markdown = """
<!-- doc-test: run 200 -->
```sh
curl -s http://127.0.0.1:1/ || true
```
"""
    found = docblocks.blocks(markdown, "t.md")
    outcome = docblocks.run(found, {}, cwd=tmp_path, env=dict(os.environ), folder=tmp_path)
    assert outcome.statuses == {0: ["000"]}
    assert docblocks.problems(found, outcome) == ["t.md:3: statuses 000, the marker says 200"]
