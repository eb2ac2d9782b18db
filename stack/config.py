"""Where the embedded stack keeps its files, and the configuration it writes.

Pure functions and plain data: nothing here starts a process, so the
rendering is unit-tested without a stack.
"""

import dataclasses
import json
import os
import secrets
from pathlib import Path

HOST = "127.0.0.1"
REGION = "RegionOne"
# A second region, whose Glance has no schema-image.json (a plain pip-installed
# Glance) and whose catalog URL ends in /v2: started for the tests only.
PLAIN_REGION = "RegionTwo"
DEFAULT_KEYSTONE_PORT = 5000
DEFAULT_GLANCE_PORT = 9292

# devstack's names, so that people and tools find what they expect.
# (user, project, role); the admin user itself is made by keystone bootstrap.
ACCOUNTS = (
    ("admin", "admin", "admin"),
    ("demo", "demo", "member"),
    ("alt_demo", "alt_demo", "member"),
)
GLANCE_SERVICE_USER = "glance"
CLOUD_NAMES = {"demo": "devstack", "admin": "devstack-admin", "alt_demo": "devstack-alt"}


def env_port(name, default):
    """Read a port number from the environment, refusing junk early."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{name}={raw!r} is not a port number (1-65535)")
    return int(raw)


@dataclasses.dataclass(frozen=True)
class Layout:
    """The files and ports of one stack."""

    data_dir: Path
    keystone_port: int = DEFAULT_KEYSTONE_PORT
    glance_port: int = DEFAULT_GLANCE_PORT
    # Extra ports Glance's web-download import may fetch from on loopback.
    import_ports: tuple = ()
    # Port of the second, schemaless Glance (None: not started).
    plain_glance_port: int = None
    # Browser origins Glance answers cross-origin requests from (CORS): where
    # the API serves pages that upload straight to Glance (direct mode).
    cors_origins: tuple = ()

    @property
    def keystone_url(self):
        return f"http://{HOST}:{self.keystone_port}/v3"

    @property
    def glance_url(self):
        return f"http://{HOST}:{self.glance_port}"

    @property
    def plain_glance_url(self):
        return f"http://{HOST}:{self.plain_glance_port}" if self.plain_glance_port else None

    def image_endpoints(self):
        """Region -> interface -> the image endpoint URL the catalog gives it.

        The second region's URLs end in /v2, as some clouds register Glance, and
        its internal and admin interfaces name the same server as "localhost",
        so that tests can tell which interface a URL came from."""
        endpoints = {REGION: dict.fromkeys(("public", "internal", "admin"), self.glance_url)}
        if self.plain_glance_port:
            endpoints[PLAIN_REGION] = {
                "public": f"{self.plain_glance_url}/v2",
                "internal": f"http://localhost:{self.plain_glance_port}/v2",
                "admin": f"http://localhost:{self.plain_glance_port}/v2",
            }
        return endpoints

    def path(self, *parts):
        return self.data_dir.joinpath(*parts)

    @property
    def pgdata(self):
        return self.path("postgres")

    @property
    def log_dir(self):
        return self.path("log")

    @property
    def keystone_conf(self):
        return self.path("keystone", "keystone.conf")

    @property
    def glance_conf_dir(self):
        return self.path("glance", "etc")

    @property
    def plain_glance_conf_dir(self):
        return self.path("glance", "etc-plain")

    @property
    def secrets_file(self):
        return self.path("secrets.json")

    @property
    def state_file(self):
        return self.path("state.json")

    @property
    def clouds_yaml(self):
        return self.path("clouds.yaml")


def load_or_create_secrets(layout):
    """Return the stack's passwords, generating them on first use.

    Kept in the data folder (mode 0600) so that restarts reuse them; none is
    fixed in the code.
    """
    names = [user for user, _, _ in ACCOUNTS] + [GLANCE_SERVICE_USER]
    stored = {}
    if layout.secrets_file.exists():
        stored = json.loads(layout.secrets_file.read_text())
    missing = [name for name in names if name not in stored]
    if missing:
        for name in missing:
            stored[name] = secrets.token_urlsafe(18)
        layout.secrets_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(layout.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(stored, out, indent=2)
    return stored


def _ini(sections):
    """Render {section: {key: value}} as an oslo.config file."""
    lines = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value}" for key, value in options.items())
        lines.append("")
    return "\n".join(lines)


def database_url(socket_dir, name):
    """SQLAlchemy URL of a database on the stack's PostgreSQL (Unix socket)."""
    return f"postgresql+psycopg2://postgres@/{name}?host={socket_dir}"


def keystone_conf(layout, socket_dir):
    keys = layout.path("keystone")
    return _ini({
        "DEFAULT": {"log_dir": "", "use_stderr": "true"},
        "database": {"connection": database_url(socket_dir, "keystone")},
        "token": {"provider": "fernet", "expiration": "3600"},
        "fernet_tokens": {"key_repository": keys / "fernet-keys"},
        "fernet_receipts": {"key_repository": keys / "fernet-receipts"},
        "credential": {"key_repository": keys / "credential-keys"},
        # Development stack: cheap password hashing keeps logins fast.
        "identity": {"password_hash_rounds": "4"},
        # Keystone's cache on, as devstack and the deployment tools turn it on
        # (there in memcached; here in the process: Keystone runs one worker).
        # Without it, the tests' Keystone kept a core busy with SQL.
        "cache": {"enabled": "true", "backend": "dogpile.cache.memory"},
        "oslo_concurrency": {"lock_path": layout.path("locks")},
    })


# Glance's stores, as a multi-store cloud configures them (devstack's
# GLANCE_ENABLE_MULTIPLE_STORES has two file stores too): id -> (driver, folder
# under glance/, description). The first is the default.
STORES = {
    "local": ("file", "images", "Local disk (default)"),
    "archive": ("file", "archive", "Archive disk"),
}
DEFAULT_STORE = "local"
IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")
# Ports web-download may fetch from (on HOST only): Glance's defaults, and the
# one docs/api.md serves its example file on.
IMPORT_PORTS = (80, 443, 8123)


def glance_api_conf(layout, socket_dir, service_password, paste_ini, multi_store=True):
    """glance-api.conf: the stores of STORES (multi-store, as the main Glance
    runs), or one file store the single-store way (the tests' plain Glance, as
    a plain pip-installed Glance starts: no /v2/info/stores)."""
    store = layout.path("glance")
    allowed_ports = ",".join(str(p) for p in dict.fromkeys((*IMPORT_PORTS, *layout.import_ports)))
    if multi_store:
        stores = {
            "glance_store": {"default_backend": DEFAULT_STORE},
            **{name: {"filesystem_store_datadir": store / folder,
                      "store_description": description}
               for name, (_, folder, description) in STORES.items()},
            "os_glance_staging_store": {"filesystem_store_datadir": store / "staging"},
            "os_glance_tasks_store": {"filesystem_store_datadir": store / "tasks"},
        }
        backends = {"enabled_backends": ",".join(
            f"{name}:{driver}" for name, (driver, _, _) in STORES.items())}
    else:
        folder = STORES[DEFAULT_STORE][1]
        stores = {"glance_store": {"stores": "file", "default_store": "file",
                                   "filesystem_store_datadir": store / folder}}
        backends = {"node_staging_uri": f"file://{store / 'staging'}"}
    return _ini({
        "DEFAULT": {
            **backends,
            "enabled_import_methods": "[" + ",".join(IMPORT_METHODS) + "]",
            "use_stderr": "true",
            "image_cache_dir": store / "cache",
            "worker_self_reference_url": layout.glance_url,
        },
        "database": {"connection": database_url(socket_dir, "glance")},
        **stores,
        "paste_deploy": {
            "flavor": "keystone",
            "config_file": paste_ini,
        },
        "keystone_authtoken": {
            "www_authenticate_uri": layout.keystone_url,
            "auth_url": layout.keystone_url,
            "auth_type": "password",
            "project_domain_name": "Default",
            "user_domain_name": "Default",
            "project_name": "service",
            "username": GLANCE_SERVICE_USER,
            "password": service_password,
            "interface": "public",
        },
        "import_filtering_opts": {
            "allowed_hosts": f"[{HOST}]",
            "allowed_ports": f"[{allowed_ports}]",
        },
        "oslo_concurrency": {"lock_path": layout.path("locks")},
        "oslo_policy": {"enforce_new_defaults": "true", "enforce_scope": "true"},
        **({"cors": {"allowed_origin": ",".join(layout.cors_origins)}}
           if layout.cors_origins else {}),
    })


def _uuid_or_null(what):
    return {"type": ["null", "string"], "pattern": UUID_PATTERN,
            "description": f"Id of the Glance image an AMI-style image boots with as its {what}."}


UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
                "-([0-9a-fA-F]){12}$")
# What devstack and the distribution packages put in Glance's config folder as
# schema-image.json (Glance's own etc/schema-image.json): custom properties
# that Glance then describes in GET /v2/schemas/image, marked "is_base": false.
SCHEMA_IMAGE = {
    "kernel_id": _uuid_or_null("kernel"),
    "ramdisk_id": _uuid_or_null("ramdisk"),
    "instance_uuid": {"type": "string",
                      "description": "The instance this image was made from (informational)."},
    "architecture": {"type": "string", "description": "CPU architecture the image needs."},
    "os_distro": {"type": "string", "description": "Common name of the operating system."},
    "os_version": {"type": "string", "description": "Operating system version."},
    "description": {"type": "string", "description": "What this image is, for people."},
}


def schema_image_json():
    return json.dumps(SCHEMA_IMAGE, indent=4) + "\n"


def glance_paste_ini(wheel_ini, api_conf):
    """Glance's own paste pipeline, its CORS filter told where glance-api.conf
    is: that filter reads its options on its own, from the default config
    folders only (/etc/glance, ...), not from OS_GLANCE_CONFIG_DIR."""
    return wheel_ini.replace("oslo_config_project = glance\n",
                             f"oslo_config_project = glance\noslo_config_file = {api_conf}\n")


def clouds_yaml(layout, passwords):
    """clouds.yaml with devstack's cloud names, for the openstack CLI and SDKs."""
    clouds = {}
    for user, project, _ in ACCOUNTS:
        clouds[CLOUD_NAMES[user]] = {
            "auth": {
                "auth_url": layout.keystone_url,
                "username": user,
                "password": passwords[user],
                "project_name": project,
                "user_domain_id": "default",
                "project_domain_id": "default",
            },
            "region_name": REGION,
            "identity_api_version": 3,
            "image_api_version": 2,
        }
    # JSON is valid YAML: no YAML writer needed in the stack's code.
    return json.dumps({"clouds": clouds}, indent=2) + "\n"
