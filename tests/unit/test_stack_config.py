"""stack/config.py: the configuration the embedded stack writes (no stack)."""

import json
from pathlib import Path

from stack import config


def test_glance_config_allows_import_ports(tmp_path):
    layout = config.Layout(tmp_path, keystone_port=15000, glance_port=19292,
                           import_ports=(8124, 443))
    text = config.glance_api_conf(layout, "/sock", "pw", "/venv/etc/glance/paste.ini")
    # Glance's defaults, docs/api.md's file server, then the run's own (once each).
    assert "allowed_ports = [80,443,8123,8124]" in text
    assert "allowed_hosts = [127.0.0.1]" in text
    assert "flavor = keystone" in text
    assert "postgresql+psycopg2://postgres@/glance?host=/sock" in text
    assert "www_authenticate_uri = http://127.0.0.1:15000/v3" in text


def test_secrets_generated_once_and_private(tmp_path):
    layout = config.Layout(tmp_path)
    first = config.load_or_create_secrets(layout)
    assert set(first) == {"admin", "demo", "alt_demo", "glance"}
    assert len(set(first.values())) == 4
    assert config.load_or_create_secrets(layout) == first
    assert Path(layout.secrets_file).stat().st_mode & 0o077 == 0
    clouds = json.loads(config.clouds_yaml(layout, first))["clouds"]
    assert clouds["devstack-admin"]["auth"]["password"] == first["admin"]
