"""Who owns the images an administrator lists: every project's name, from
Keystone's /v3/projects with the caller's own token.

Keystone's policy (identity:list_projects) decides who may read them: a
member gets Keystone's 403 before Glance is asked anything, so an image list
refused here leaks neither images nor project names. The names are cached per
token for PROJECTS_CACHE_SECONDS; the orphaned-images filter always reads
Keystone afresh, since a project deleted a second ago must count as gone.
"""

from django.core.cache import cache

from . import auth
from .caching import cache_key
from .conf import settings
from .errors import ApiError


class Projects:
    """Every project Keystone shows the caller: id -> name, and whether
    Keystone's list_limit cut the list short (then some owners are unknown,
    not gone)."""

    def __init__(self, names, truncated, fresh):
        self.names = names
        self.truncated = truncated
        self.fresh = fresh  # read from Keystone by this request

    def items(self):
        return [{"id": pid, "name": name}
                for pid, name in sorted(self.names.items(), key=lambda p: (p[1], p[0]))]

    def is_orphan(self, image):
        """An image whose owner project no longer exists (images without an
        owner belong to no project and are not orphans)."""
        owner = image.get("owner")
        return bool(owner) and owner not in self.names


def all_projects(credentials, fresh=False):
    """Every project, as Keystone shows it to the caller (cached unless ``fresh``)."""
    key = cache_key("projects", settings.OPENSTACK_KEYSTONE_URL, credentials.token_key)
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return Projects(*cached, fresh=False)
    body = auth.keystone_get(credentials, "/projects")
    names = {p["id"]: p["name"] for p in body.get("projects", [])}
    truncated = bool(body.get("truncated"))
    cache.set(key, (names, truncated), settings.PROJECTS_CACHE_SECONDS)
    return Projects(names, truncated, fresh=True)


def orphan_test(projects):
    """The ``keep`` test of a listing of orphaned images (``projects`` read fresh)."""
    if projects.truncated:
        raise ApiError(502, "Keystone returned only part of its projects (its list_limit "
                            "option): orphaned images cannot be told from others.",
                       code="keystone_truncated")
    return projects.is_orphan


def name_owners(credentials, images, projects):
    """Add ``project_name`` to each image (None: no owner, or a project Keystone
    no longer has). An owner missing from cached names is read again once: the
    project may be newer than the cache."""
    if not projects.fresh and any(projects.is_orphan(image) for image in images):
        projects = all_projects(credentials, fresh=True)
    for image in images:
        image["project_name"] = projects.names.get(image.get("owner"))
    return images
