"""Who owns the images an administrator lists, as Keystone tells the caller
(always with the caller's own token, so Keystone's policy decides).

Listing the projects is the door: a caller Keystone refuses it (a member) gets
Keystone's 403 before Glance is asked anything, so an image list refused here
leaks neither images nor project names. A site policy may let some callers
list only their own domain's projects: that partial list is used then.

A project in the list is live. An owner the list lacks is asked of Keystone
by itself (``GET /v3/projects/{id}``): 404 means the project is gone and its
images are orphans; 200 means live; any other answer (403 above all: Keystone
answers it to a caller who may not see the project, whether or not it exists)
means Keystone will not say, and the owner is ``unknown``: never an orphan.
Absence from a list proves nothing: the list may be partial (a policy,
Keystone's ``list_limit``) or older than the project.

Keystone is read a bounded number of times per request: the list at most
once (cached per token for PROJECTS_CACHE_SECONDS, read afresh for the
orphaned filter), and each distinct owner the list lacks at most once
(answers cached per token and project for OWNER_CACHE_SECONDS), at most
OWNER_LOOKUPS of them, OWNER_LOOKUP_THREADS at a time.
"""

import concurrent.futures
import urllib.parse

from django.core.cache import cache
from keystoneauth1 import exceptions as ks_exc

from . import auth, backend
from .caching import cache_key
from .conf import settings
from .errors import ApiError, LoginExpired

LIVE, GONE, UNKNOWN = "live", "gone", "unknown"
# Lookups of one request in flight at once (each in a thread of its own pool,
# so one request's lookups never queue another's).
OWNER_LOOKUP_THREADS = 4


class Projects:
    """The projects Keystone lists to the caller: id -> name (perhaps not
    every live one: see the module)."""

    def __init__(self, names):
        self.names = names

    def items(self):
        return [{"id": pid, "name": name}
                for pid, name in sorted(self.names.items(), key=lambda p: (p[1], p[0]))]


def _listed(credentials):
    """Keystone's project list for the caller: every project if Keystone
    allows, else those of the caller's project's domain if a site policy
    allows that; else Keystone's first refusal."""
    try:
        return auth.keystone_get(credentials, "/projects")
    except ApiError as refused:
        if refused.status != 403:
            raise
        domain = urllib.parse.urlencode({"domain_id": credentials.access.project_domain_id})
        try:
            return auth.keystone_get(credentials, f"/projects?{domain}")
        except ApiError as again:
            if again.status != 403:
                raise
            raise refused from None


def all_projects(credentials, fresh=False):
    """The projects Keystone lists to the caller (cached unless ``fresh``)."""
    key = cache_key("project-names", settings.OPENSTACK_KEYSTONE_URL, credentials.token_key)
    names = None if fresh else cache.get(key)
    if names is None:
        names = {p["id"]: p["name"] for p in _listed(credentials).get("projects", [])}
        cache.set(key, names, settings.PROJECTS_CACHE_SECONDS)
    return Projects(names)


def lookup(credentials, project_id):
    """(status, name) of one project as Keystone answers the caller about it."""
    path = "/projects/" + urllib.parse.quote(project_id, safe="")
    try:
        answer = auth.keystone_session().get(
            auth.keystone_url(path), headers={"X-Auth-Token": credentials.token},
            raise_exc=False)
    except ks_exc.ClientException:
        return UNKNOWN, None  # unreachable or too slow: Keystone did not say
    if answer.status_code == 401:
        raise LoginExpired()
    if answer.status_code == 404:
        return GONE, None
    if answer.status_code == 200:
        try:
            return LIVE, answer.json()["project"]["name"]
        except (ValueError, KeyError, TypeError):
            pass
    return UNKNOWN, None


class Owners:
    """What Keystone tells one request's caller of the owners of the images it
    lists. Reading the project list first is the door (see the module)."""

    def __init__(self, credentials, fresh=False):
        self.credentials = credentials
        self.projects = all_projects(credentials, fresh=fresh)
        self.known = {pid: (LIVE, name) for pid, name in self.projects.names.items()}
        self.lookups_left = max(1, settings.OWNER_LOOKUPS)

    def _cache_key(self, project_id):
        return cache_key("owner", settings.OPENSTACK_KEYSTONE_URL,
                         self.credentials.token_key, project_id)

    def resolve(self, images):
        """Learn the owners of ``images`` the list lacks, each once. Returns how
        many of the first images have their owner decided: all of them unless
        this request's OWNER_LOOKUPS ran out."""
        wanted = list(dict.fromkeys(image["owner"] for image in images
                                    if image.get("owner") and image["owner"] not in self.known))
        if wanted:
            keys = {pid: self._cache_key(pid) for pid in wanted}
            cached = cache.get_many(keys.values())
            for pid in wanted:
                if keys[pid] in cached:
                    self.known[pid] = cached[keys[pid]]
            asked = [pid for pid in wanted if pid not in self.known][:self.lookups_left]
            self.lookups_left -= len(asked)
            for pid, answer in zip(asked, self._ask(asked)):
                self.known[pid] = answer
            cache.set_many({keys[pid]: self.known[pid] for pid in asked},
                           settings.OWNER_CACHE_SECONDS)
        for decided, image in enumerate(images):
            if image.get("owner") and image["owner"] not in self.known:
                return decided
        return len(images)

    def _ask(self, project_ids):
        if len(project_ids) < 2:
            return [lookup(self.credentials, pid) for pid in project_ids]
        with concurrent.futures.ThreadPoolExecutor(
                min(OWNER_LOOKUP_THREADS, len(project_ids)),
                thread_name_prefix="owners") as pool:
            return backend.run_in_context(
                pool, lambda pid: lookup(self.credentials, pid), project_ids)

    def status(self, image):
        """``live``, ``gone`` (an orphan), ``unknown``, or None (no owner)."""
        owner = image.get("owner")
        if not owner:
            return None
        return self.known.get(owner, (UNKNOWN, None))[0]

    def orphans(self, images):
        """The sieve of the orphaned filter over one of Glance's pages: (the
        orphans among the decided images, how many images were decided)."""
        decided = self.resolve(images)
        return [image for image in images[:decided] if self.status(image) == GONE], decided

    def describe(self, images):
        """Add ``project_name`` and ``owner_status`` to each image (owners past
        this request's OWNER_LOOKUPS stay ``unknown``: not asked)."""
        self.resolve(images)
        for image in images:
            image["owner_status"] = self.status(image)
            image["project_name"] = self.known.get(image.get("owner"), (None, None))[1]
        return images
