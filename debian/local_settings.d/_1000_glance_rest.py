# glance-rest (python3-glance-rest): Horizon's /api/glance/ served by glance-rest.
# Horizon runs this file after local_settings.py; reload Apache after a change.
# To keep the package installed but not mounted, delete this file and reload
# Apache (dpkg will not bring it back on upgrades); see README.Debian.
# After `apt remove` this file stays and does nothing; `apt purge` deletes it.
try:
    import glance_rest.horizon  # noqa: F401
except ImportError:
    pass
else:
    INSTALLED_APPS = list(INSTALLED_APPS) + ["glance_rest"]  # noqa: F821
    ROOT_URLCONF = "glance_rest.horizon.urls"
