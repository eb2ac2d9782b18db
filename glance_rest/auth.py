"""Who is calling: Keystone logins kept in the Django session, or X-Auth-Token.

Either way the result is a keystoneauth1 ``AccessInfo`` (token + catalog) for
the caller's own project-scoped token: every Glance call is made with it, never
with a service account. A session keeps only what ``get_auth_state()`` would
(the token and Keystone's token body), so no request after login costs a
Keystone round trip; a header token is validated once and then trusted for
TOKEN_CACHE_SECONDS (or until it expires, if sooner).

Validated tokens and catalog lookups live in Django's cache (local memory, or
the Redis of REDIS_URL, shared by every API process and host), keyed by the
token's SHA-256: the token itself is never a key nor a stored value.
"""

import hashlib
import logging
import time

from django.core.cache import cache
from django.middleware.csrf import rotate_token
from keystoneauth1 import access
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from . import backend
from .caching import cache_key
from .conf import settings
from .errors import ApiError, LoginExpired, LoginRequired, from_client_error

LOG = logging.getLogger(__name__)
SESSION_KEY = "glance_rest_auth"
# The login's unscoped token: the root of every token the session is given
# (Keystone revokes a token's whole chain with it), revoked at logout.
LOGIN_ROOT_KEY = "glance_rest_login_root"
# Refuse a token this close to its expiry: it would die mid-request.
STALE_SECONDS = 30


def keystone_url(path):
    return settings.OPENSTACK_KEYSTONE_URL.rstrip("/") + path


def keystone_failed(message):
    """502 ``keystone_failed``: Keystone (or what stands in front of it)
    answered, but not as Keystone answers."""
    return ApiError(502, message, code="keystone_failed")


def keystone_error(exc, refused):
    """The caller's error for a keystoneauth1 error: the mapped one (errors.py),
    else a 502 ``keystone_failed`` saying what Keystone ``refused``."""
    if isinstance(exc, ks_exc.InvalidResponse):
        return keystone_failed("The identity service's answer is not Keystone's JSON "
                               "(a proxy's page?).")
    return from_client_error(exc) or keystone_failed(f"Keystone refused {refused}.")


def keystone_json(answer):
    """A Keystone answer's JSON body; 502 ``keystone_failed`` when it is not
    JSON (an HTML page from a proxy in front of Keystone), never a 500."""
    try:
        return answer.json()
    except ValueError:
        content_type = answer.headers.get("Content-Type") or "no content type"
        raise keystone_failed(f"The identity service answered HTTP {answer.status_code} with "
                              f"{content_type.split(';')[0]}, not JSON (a proxy's page?).") from None


def keystone_session(auth=None):
    """A keystoneauth1 Session on the shared connection pool."""
    return ks_session.Session(auth=auth, session=backend.keystone_http, verify=backend.verify(),
                              timeout=settings.OPENSTACK_TIMEOUT)


class Credentials:
    """The caller's token and catalog, how they were presented, and the
    region whose endpoints it uses."""

    def __init__(self, access_info, via_session, region=None, token_key=None):
        self.access = access_info
        self.via_session = via_session
        self.region = region or settings.OPENSTACK_REGION
        # What cache keys name the token by (every Glance call looks up its endpoint).
        self.token_key = token_key or _token_key(access_info.auth_token)

    @property
    def token(self):
        return self.access.auth_token

    def endpoint(self, service_type, interface):
        """A catalog URL in the caller's region: ``interface``, else
        SECONDARY_ENDPOINT_TYPE's, as Horizon's ``url_for`` picks it. Looked up
        once per token (the lookup copies the catalog)."""
        key = cache_key("endpoint", self.token_key, service_type, interface, self.region or "")
        url = cache.get(key)
        if url is None:
            url = self._url_for(service_type, interface)
            seconds = _seconds_left(self.access)
            if seconds > 0:
                cache.set(key, url, seconds)
        return url

    def _url_for(self, service_type, interface):
        catalog = self.access.service_catalog
        secondary = settings.SECONDARY_ENDPOINT_TYPE
        try:
            return catalog.url_for(service_type=service_type, interface=interface,
                                   region_name=self.region)
        except ks_exc.EndpointNotFound:
            if not secondary or interface_name(secondary) == interface:
                raise
        return catalog.url_for(service_type=service_type, interface=interface_name(secondary),
                               region_name=self.region)

    def forget(self, request):
        """Drop a login that Glance or Keystone refused (expired, revoked)."""
        if self.via_session:
            request.session.flush()
        else:
            token_cache.drop(self.token_key)

    def describe(self):
        """What the caller may know about its own login (never the token)."""
        a = self.access
        return {
            "user": {"id": a.user_id, "name": a.username, "domain": a.user_domain_name},
            "project": {"id": a.project_id, "name": a.project_name,
                        "domain": a.project_domain_name},
            "roles": sorted(a.role_names),
            "expires_at": a.expires.isoformat() if a.expires else None,
        }


def interface_name(endpoint_type):
    """keystoneauth's interface for Horizon's endpoint type ("publicURL" -> "public")."""
    return endpoint_type.removesuffix("URL")


def _usable(access_info):
    return access_info.project_scoped and not access_info.will_expire_soon(STALE_SECONDS)


def _load(state):
    """AccessInfo from a stored ``get_auth_state()``, with no Keystone call.
    (Remembering it per state saved 13 us of a 12.6 ms request in make bench:
    not worth a cache.)"""
    plugin = v3.Token(auth_url=settings.OPENSTACK_KEYSTONE_URL, token="")
    plugin.set_auth_state(state)
    return plugin.auth_ref


# --- browser sessions ---------------------------------------------------------
def login(request, username, password, domain, project=None):
    """Authenticate against Keystone and keep the login in the session."""
    sess = keystone_session()
    url = settings.OPENSTACK_KEYSTONE_URL
    unscoped = v3.Password(auth_url=url, username=username, password=password,
                           user_domain_name=domain, unscoped=True)
    try:
        unscoped_access = unscoped.get_access(sess)
    except ks_exc.Unauthorized:
        raise ApiError(401, "Invalid username, password or domain.") from None
    except ks_exc.ClientException as exc:
        raise keystone_error(exc, "the login") from None
    try:
        scoped = _scoped(sess, unscoped, unscoped_access, project)
    except Exception:
        # A login refused after the password: its token is of no use to anyone.
        revoke_token(request, unscoped_access.auth_token)
        raise
    # New session id and CSRF token at login, as Django's own login() does.
    request.session.cycle_key()
    rotate_token(request)
    request.session[SESSION_KEY] = scoped.get_auth_state()
    # Not revoked now: Keystone would revoke the scoped token with it.
    request.session[LOGIN_ROOT_KEY] = unscoped_access.auth_token
    return Credentials(scoped.auth_ref, via_session=True)


def _scoped(sess, unscoped, unscoped_access, project):
    """The login's project-scoped token (a keystoneauth1 plugin holding it):
    ``project`` (id or name), else the first of the user's projects by name."""
    try:
        projects = keystone_json(sess.get(keystone_url("/auth/projects"), auth=unscoped))
    except ks_exc.ClientException as exc:
        raise keystone_error(exc, "the login") from None
    chosen = _choose_project(projects["projects"], project)
    scoped = v3.Token(auth_url=settings.OPENSTACK_KEYSTONE_URL, token=unscoped_access.auth_token,
                      project_id=chosen["id"])
    try:
        scoped.get_access(sess)
    except ks_exc.Unauthorized:
        raise ApiError(403, "You have no role on that project.") from None
    except ks_exc.ClientException as exc:
        raise keystone_error(exc, "the login") from None
    return scoped


def keystone_get(credentials, path):
    """The decoded answer of one Keystone GET with the caller's own token:
    Keystone's policy decides, and its refusal is the caller's error."""
    try:
        answer = keystone_session().get(keystone_url(path),
                                        headers={"X-Auth-Token": credentials.token})
    except ks_exc.Unauthorized:
        raise LoginExpired() from None
    except ks_exc.ClientException as exc:
        raise keystone_error(exc, "the list") from None
    return keystone_json(answer)


def projects(credentials):
    """The enabled projects the caller's user may scope to (Keystone's
    /v3/auth/projects with the caller's own token), sorted by name."""
    found = [p for p in keystone_get(credentials, "/auth/projects")["projects"]
             if p.get("enabled", True)]
    return [{"id": p["id"], "name": p["name"], "domain_id": p.get("domain_id")}
            for p in sorted(found, key=lambda p: p["name"])]


def switch_project(request, credentials, project):
    """Re-scope the session's login to another of the user's ``project`` (id or
    name) with its current token, no password; the old token is revoked.
    Returns the new credentials and whether the old token was revoked."""
    if not credentials.via_session:
        raise ApiError(400, "Only a browser session switches projects; with X-Auth-Token, "
                            "ask Keystone for a token scoped to the project.")
    chosen = _choose_project(projects(credentials), project)
    scoped = v3.Token(auth_url=settings.OPENSTACK_KEYSTONE_URL, token=credentials.token,
                      project_id=chosen["id"])
    try:
        access_info = scoped.get_access(keystone_session())
    except (ks_exc.Unauthorized, ks_exc.Forbidden):
        raise ApiError(403, f"You have no role on project {project!r}.",
                       field="project") from None
    except ks_exc.ClientException as exc:
        raise keystone_error(exc, "the switch") from None
    old_token = credentials.token
    # A new session id and CSRF token for the new scope, as at login.
    request.session.cycle_key()
    rotate_token(request)
    request.session[SESSION_KEY] = scoped.get_auth_state()
    return Credentials(access_info, via_session=True), revoke_token(request, old_token)


def _choose_project(projects, wanted):
    enabled = [p for p in projects if p.get("enabled", True)]
    if wanted:
        for p in enabled:
            if wanted in (p["id"], p["name"]):
                return p
        raise ApiError(403, f"You have no access to project {wanted!r}.", field="project")
    if not enabled:
        raise ApiError(403, "You are not a member of any project.")
    return sorted(enabled, key=lambda p: p["name"])[0]


def session_credentials(request):
    state = request.session.get(SESSION_KEY)
    if not state:
        return None
    access_info = _stored_access(request, state)
    if access_info is None or not _usable(access_info):
        request.session.flush()
        raise LoginExpired()
    return Credentials(access_info, via_session=True)


def _stored_access(request, state):
    """The AccessInfo of a session's stored login; None, logged, if the state
    is corrupt. Every caller then flushes the session: logged once per session."""
    try:
        access_info = _load(state)
    except (ValueError, KeyError, TypeError) as exc:
        failure = f"{type(exc).__name__}: {exc}"
    else:
        if access_info is not None:
            return access_info
        failure = "no token in it"
    # Never the state itself (it holds the token), nor the session's key.
    LOG.warning("Corrupt login state in a session (%s); the session is ended, request id %s",
                failure, getattr(request, "request_id", "-"))
    return None


def logout(request):
    """Revoke the session's login at Keystone, then end the session: its
    unscoped token, and with it every token scoped from it (the session's,
    and those of projects switched from), else the session's token. Whether
    the session's token no longer works; None when the session held none."""
    state = request.session.get(SESSION_KEY)
    access_info = _stored_access(request, state) if state else None
    revoked = None
    if access_info is not None:
        revoked = revoke_token(request, request.session.get(LOGIN_ROOT_KEY)
                               or access_info.auth_token)
        token_cache.drop(_token_key(access_info.auth_token))
    request.session.flush()
    return revoked


def revoke_token(request, token):
    """Revoke ``token`` at Keystone. Whether it no longer works: revoked now,
    or already invalid (expired, revoked before). A failure is logged, with
    the start of the token's SHA-256 (the name the caches know it by), never
    the token."""
    key = _token_key(token)
    token_cache.drop(key)
    try:
        keystone_session().delete(
            keystone_url("/auth/tokens"),
            headers={"X-Auth-Token": token, "X-Subject-Token": token})
    except (ks_exc.Unauthorized, ks_exc.NotFound):
        return True  # Keystone no longer takes it
    except ks_exc.ClientException as exc:
        LOG.warning("Token not revoked, it stays valid until it expires: token sha256 %s..., "
                    "request id %s, Keystone: %s: %s", key[:12],
                    getattr(request, "request_id", "-"), type(exc).__name__, exc)
        return False
    return True


# --- X-Auth-Token ---------------------------------------------------------------
def _seconds_left(access_info):
    """How long to trust what was learnt of a token: TOKEN_CACHE_SECONDS, or
    less when it expires sooner."""
    trusted = settings.TOKEN_CACHE_SECONDS
    if access_info.expires is not None:
        trusted = min(trusted, access_info.expires.timestamp() - time.time() - STALE_SECONDS)
    return int(trusted)


class TokenCache:
    """Keystone's answers for validated tokens: the token body, never the token."""

    def key(self, token_key):
        return cache_key("token", token_key)

    def get(self, token_key, token):
        body = cache.get(self.key(token_key))
        return None if body is None else access.create(body=body, auth_token=token)

    def put(self, token_key, body, access_info):
        """Keep Keystone's validation ``body`` while ``access_info`` is trusted."""
        seconds = _seconds_left(access_info)
        if seconds > 0:
            cache.set(self.key(token_key), body, seconds)

    def drop(self, token_key):
        cache.delete(self.key(token_key))


token_cache = TokenCache()


def _token_key(token):
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def token_credentials(token):
    """Validate a caller's token with Keystone (or the cache) and use it."""
    key = _token_key(token)
    access_info = token_cache.get(key, token) if settings.TOKEN_CACHE_SECONDS else None
    if access_info is None:
        try:
            resp = keystone_session().get(
                keystone_url("/auth/tokens"),
                headers={"X-Auth-Token": token, "X-Subject-Token": token})
            body = keystone_json(resp)
            access_info = access.create(resp=resp, body=body, auth_token=token)
        except (ks_exc.Unauthorized, ks_exc.NotFound):
            raise LoginRequired("The X-Auth-Token is invalid, expired or revoked.") from None
        except ks_exc.ClientException as exc:
            raise keystone_error(exc, "the token") from None
        if not access_info.project_scoped:
            raise LoginRequired("The X-Auth-Token must be scoped to a project.")
        if not _usable(access_info):
            raise LoginRequired("The X-Auth-Token is expired or about to expire.")
        if settings.TOKEN_CACHE_SECONDS:
            token_cache.put(key, body, access_info)
    return Credentials(access_info, via_session=False, token_key=key)
