"""``pip install .`` from the checkout gives a working app: a fresh virtualenv,
the package and exactly its declared dependencies, then Django's checks and
real requests through the installed code (not the checkout's). The wheel
holds the app alone: the standalone settings (settings/) stay in the
checkout, so the test names them on PYTHONPATH as a deployment names its own."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from stack.testing import REGION, ROOT

pytestmark = [pytest.mark.stack, pytest.mark.slow]

SCRIPT = textwrap.dedent("""
    import json, os, sys
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    import glance_rest
    call_command("check", fail_level="WARNING")
    call_command("migrate", verbosity=0)
    client = Client(HTTP_X_AUTH_TOKEN=os.environ["TOKEN"])
    images = client.get("/api/glance/images/")
    document = client.get("/api/glance/openapi.json")
    panel = [client.get(p).status_code for p in ("/", "/panel/main.js", "/panel/panel.css")]
    try:
        import stack
        stack_installed = True
    except ImportError:
        stack_installed = False
    print(json.dumps({"package": glance_rest.__file__, "images": images.status_code,
                      "items": "items" in images.json(), "openapi": document.status_code, "panel": panel,
                      "stack_installed": stack_installed}))
""")


def test_pip_install_gives_a_working_app(stack, tokens, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), str(ROOT)],
        capture_output=True, text=True, cwd=tmp_path)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    site_packages = next(venv.glob("lib/python*/site-packages"))
    top_level = {path.name for path in site_packages.iterdir()}
    assert "glance_rest" in top_level
    assert not {"settings", "stack", "tests", "bench"} & top_level
    # The deployment's own settings module: here the checkout's, alone on the path.
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "settings").symlink_to(ROOT / "settings")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update({"DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": str(tmp_path / "site"),
                "SECRET_KEY": "x" * 50,
                "ALLOWED_HOSTS": "testserver", "GLANCE_REST_DB": str(tmp_path / "db.sqlite3"),
                "OPENSTACK_KEYSTONE_URL": stack.keystone_url, "OPENSTACK_REGION": REGION,
                "TOKEN": tokens("demo")})
    done = subprocess.run([python, "-c", SCRIPT], capture_output=True, text=True,
                          cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["package"].startswith(str(venv))
    assert result["images"] == 200 and result["items"] is True
    assert result["openapi"] == 200
    assert result["panel"] == [200, 200, 200]
    assert result["stack_installed"] is False
