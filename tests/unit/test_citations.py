"""Every file of the checkout that its settings, Makefile, docs and code cite
by path exists: setup.cfg once promised a test file that was never written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITING = ["setup.cfg", "Makefile", "pyproject.toml", "README.md", "docs/*.md",
          "glance_rest/**/*.py", "stack/**/*.py", "bench/**/*.py", "tests/**/*.py"]
# A path into one of the checkout's own folders, ending in a file name.
CITED = re.compile(r"(?<![\w/.])((?:tests|glance_rest|stack|bench|docs)/[\w/.-]*\w\.(?:py|md|json|txt))")


def test_every_cited_file_exists():
    citing = sorted({path for pattern in CITING for path in ROOT.glob(pattern)})
    assert len(citing) > 50
    missing = [f"{path.relative_to(ROOT)}: {cited}" for path in citing
               for cited in CITED.findall(path.read_text()) if not (ROOT / cited).exists()]
    assert missing == []
