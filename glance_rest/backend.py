"""The connections to Keystone and Glance, and what each API request did with
them: how many calls went to which service, and Glance's request id.

Keystone is reached through keystoneauth1, Glance through python-glanceclient
(``glance_client``), both over pooled python-requests sessions kept for the
process, so that connections are reused across API requests. Those sessions
serve every user: they keep connections, never cookies.
"""

import contextlib
import contextvars
import functools
import http.cookiejar
import io
import threading
import urllib.parse

import glanceclient
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.retry import Retry

from .conf import settings
from .errors import GlanceError


class Tally:
    """One API request's backend calls, and Glance's request id. Counted from
    the request's thread and from the worker threads ``run_in_context``
    starts, hence the lock (``+=`` is a read and a write: two threads lose one)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.glance = 0
        self.keystone = 0
        self.glance_request_id = None

    def count_keystone(self):
        with self._lock:
            self.keystone += 1

    def count_glance(self, request_id=None):
        with self._lock:
            self.glance += 1
            if request_id:
                self.glance_request_id = request_id


# Per API request: its Tally.
calls = contextvars.ContextVar("glance_rest_backend_calls", default=None)


def _count_keystone(response, *args, **kwargs):
    tally = calls.get()
    if tally is not None:
        tally.count_keystone()


def _on_glance_response(response, *args, **kwargs):
    """Count the call; raise GlanceError for an error answer, before
    glanceclient turns it into an exception without its status. A resent
    DELETE that finds nothing was done by its first attempt: 204."""
    tally = calls.get()
    if tally is not None:
        tally.count_glance(response.headers.get("x-openstack-request-id"))
    if response.status_code == 404 and _resent_after_it_may_have_arrived(response):
        return _deleted(response)
    if response.status_code >= 400:
        raise GlanceError.from_response(response)


def _resent_after_it_may_have_arrived(response):
    """A DELETE sent again (_pooled_session) after an attempt whose connection
    was dropped once the request was on its way: Glance may have done it and
    its answer been lost with the connection. (A connection that could not be
    opened carried nothing.)"""
    retries = getattr(response.raw, "retries", None)
    return response.request.method == "DELETE" and retries is not None and any(
        attempt.error is not None and not isinstance(attempt.error, ConnectTimeoutError)
        for attempt in retries.history)


def _deleted(response):
    """The answer the lost first attempt had: 204, no body."""
    response.close()
    done = requests.Response()
    done.status_code, done.reason, done.raw = 204, "No Content", io.BytesIO()
    done.request, done.url = response.request, response.url
    done.headers.update({key: value for key, value in response.headers.items()
                         if key.lower() == "x-openstack-request-id"})
    return done


@contextlib.contextmanager
def counting():
    """Count this request's backend calls (the outermost ``counting`` of a
    request keeps the tally); yields the tally."""
    tally = calls.get()
    if tally is not None:
        yield tally
        return
    tally = Tally()
    reset = calls.set(tally)
    try:
        yield tally
    finally:
        calls.reset(reset)


def verify():
    """OPENSTACK_SSL_* as requests and keystoneauth1 take them: False, a CA
    bundle's path, or True."""
    if settings.OPENSTACK_SSL_NO_VERIFY:
        return False
    return settings.OPENSTACK_SSL_CACERT or True


class _ResendOnDroppedConnection(Retry):
    """Send a read once more when the connection was dropped under it, never
    when the service is only slow (that is a timeout, answered 504 at once)."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Store no cookie. A pooled session serves every user's calls: a cookie
    one answer set (a load balancer's sticky session) would go with every
    later call, whoever makes it."""

    def set_ok(self, cookie, request):
        return False


@functools.lru_cache(maxsize=64)
def _environ_proxies(scheme, netloc):
    """The proxies HTTP_PROXY, HTTPS_PROXY and NO_PROXY give a service's
    address, as python-requests reads them for Horizon's own clients: read
    once per address, not on every call (requests scans the environment twice
    a call, 0.2 to 1 ms here)."""
    return requests.utils.get_environ_proxies(f"{scheme}://{netloc}/")


class _ServiceSession(requests.Session):
    """A requests session that takes only the proxies from the environment:
    no .netrc, no REQUESTS_CA_BUNDLE (OPENSTACK_SSL_CACERT says it)."""

    def __init__(self):
        super().__init__()
        self.trust_env = False

    def request(self, method, url, *args, **kwargs):
        if kwargs.get("proxies") is None:
            parts = urllib.parse.urlsplit(url)
            kwargs["proxies"] = _environ_proxies(parts.scheme, parts.netloc)
        return super().request(method, url, *args, **kwargs)


def _pooled_session(count_hook):
    session = _ServiceSession()
    session.cookies.set_policy(_NoCookies())
    session.hooks["response"].append(count_hook)
    # Glance's gunicorn closes idle kept-alive connections: a read, or a DELETE
    # (idempotent, bodiless: a batch of them met this in CI), that meets one
    # just closed is sent once more; a change with a body never is (it may have
    # arrived, and a streamed body cannot be sent again). A DELETE's first
    # attempt may have arrived too: its resend's 404 is the first one's 204
    # (_on_glance_response).
    retry = _ResendOnDroppedConnection(
        total=1, connect=1, read=1, status=0, other=0, redirect=0,
        allowed_methods=frozenset({"GET", "HEAD", "DELETE"}), raise_on_status=False)
    adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=64,
                                            max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


keystone_http = _pooled_session(_count_keystone)
glance_http = _pooled_session(_on_glance_response)


def glance_session(endpoint, token):
    """A keystoneauth1 session calling Glance at ``endpoint`` with the
    caller's own token, over the shared Glance pool."""
    auth = token_endpoint.Token(endpoint, token)
    return ks_session.Session(auth=auth, session=glance_http, verify=verify(),
                              timeout=settings.OPENSTACK_TIMEOUT)


def glance_client(endpoint, session):
    """python-glanceclient's v2 client for ``endpoint`` (unversioned) on ``session``."""
    return glanceclient.Client("2", endpoint=endpoint, session=session)


def run_in_context(executor, func, items):
    """``executor.map`` that keeps the caller's counters in the worker threads."""
    futures = [executor.submit(contextvars.copy_context().run, func, item) for item in items]
    return [future.result() for future in futures]
