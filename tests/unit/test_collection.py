"""How the suite collects: an empty parametrization is an error, never a test
skipped without a word (tests/horizons/test_apache.py once was, whenever
HORIZONS_APACHE was unset)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_empty_parametrization_fails_the_collection(tmp_path):
    (tmp_path / "test_empty.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('release', [])\n"
        "def test_each(release):\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "setup.cfg"), "--rootdir",
         str(tmp_path), "-p", "no:cacheprovider", "--collect-only", "-q",
         str(tmp_path / "test_empty.py")], capture_output=True, text=True, timeout=120,
        # pytest alone: the plugins (Django, schemathesis, ...) only cost time here.
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert done.returncode != 0, done.stdout
    assert "Empty parameter set in 'test_each'" in done.stdout
