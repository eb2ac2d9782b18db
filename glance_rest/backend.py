"""The connections to Keystone and Glance, and what each API request did with
them: how many calls went to which service, and Glance's request id.

Keystone is reached through keystoneauth1 (on ``keystone_http``). Glance is
called with the caller's token over one urllib3 pool (``GlanceHttp``): it is the
API's hot path, and glanceclient's transport (keystoneauth1 over requests) cost
about 0.8 ms of Python per call here, more than all the rest of the API together
(``make bench``: get image 1.31x direct Glance through it, 1.1x without it).
"""

import contextvars
import json

import requests
import urllib3
from django.conf import settings

from .errors import GlanceError

USER_AGENT = "glance-rest"
# Glance's media type for JSON-patch bodies (v2.1: "add" replaces too).
JSON_PATCH = "application/openstack-images-v2.1-json-patch"

SAFE_TO_RESEND = ("GET", "HEAD")

# Per API request: {"glance": n, "keystone": n, "glance_request_id": str}.
calls = contextvars.ContextVar("glance_rest_backend_calls", default=None)


def _count_keystone(response, *args, **kwargs):
    tally = calls.get()
    if tally is not None:
        tally["keystone"] += 1


def _count_glance(response):
    tally = calls.get()
    if tally is not None:
        tally["glance"] += 1
        request_id = response.headers.get("x-openstack-request-id")
        if request_id:
            tally["glance_request_id"] = request_id


def verify():
    """OPENSTACK_SSL_* as requests and keystoneauth1 take them: False, a CA
    bundle's path, or True."""
    if settings.OPENSTACK_SSL_NO_VERIFY:
        return False
    return settings.OPENSTACK_SSL_CACERT or True


def _tls():
    """The same, as urllib3 takes it."""
    checked = verify()
    if checked is False:
        return {"cert_reqs": "CERT_NONE"}
    return {"cert_reqs": "CERT_REQUIRED", "ca_certs": checked if isinstance(checked, str) else None}


keystone_http = requests.Session()
# The services are reached directly: no *_PROXY lookups on every call.
keystone_http.trust_env = False
keystone_http.hooks["response"].append(_count_keystone)
for _scheme in ("http://", "https://"):
    keystone_http.mount(_scheme, requests.adapters.HTTPAdapter(pool_connections=4,
                                                               pool_maxsize=64))

# No retries (a POST must not be sent twice) and no redirects: Glance makes none.
glance_pool = urllib3.PoolManager(num_pools=8, maxsize=64, retries=False, **_tls())


class GlanceHttp:
    """Glance's v2 API at ``endpoint``, called with one caller's token.

    JSON in and out; a status of 400 or more raises ``GlanceError`` with
    Glance's message. Connection failures and timeouts are urllib3's
    exceptions; ``errors.from_client_error`` maps both.
    """

    def __init__(self, endpoint, token):
        self.endpoint = endpoint.rstrip("/")
        self._headers = {"X-Auth-Token": token, "User-Agent": USER_AGENT,
                         "Accept": "application/json"}

    def request(self, method, path, *, json_body=None, content_type="application/json",
                body=None, headers=None, stream=False):
        """(response, decoded JSON body or None). With ``stream`` the body is
        left unread: iterate ``response.stream()`` and close the response."""
        all_headers = dict(self._headers)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = content_type
        if headers:
            all_headers.update(headers)
        timeout = settings.OPENSTACK_TIMEOUT

        def send():
            return glance_pool.request(
                method, self.endpoint + path, body=body, headers=all_headers,
                preload_content=not stream, redirect=False,
                timeout=urllib3.Timeout(connect=timeout, read=timeout))
        try:
            response = send()
        except urllib3.exceptions.ProtocolError:
            # Glance closed a kept-alive connection just as it was reused (or
            # died mid-answer): a read is safe to send once more, a change is not.
            if method not in SAFE_TO_RESEND:
                raise
            response = send()
        _count_glance(response)
        if response.status >= 400:
            content = response.read() if stream else response.data
            response.release_conn()
            raise GlanceError.from_body(response.status, response.headers.get("Content-Type"),
                                        content)
        if stream:
            return response, None
        content = response.data
        if content and "json" in (response.headers.get("Content-Type") or ""):
            return response, json.loads(content)
        return response, None

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json_body=None, **kwargs):
        return self.request("POST", path, json_body=json_body, **kwargs)

    def patch(self, path, ops):
        return self.request("PATCH", path, json_body=ops, content_type=JSON_PATCH)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path):
        return self.request("DELETE", path)


def run_in_context(executor, func, items):
    """``executor.map`` that keeps the caller's counters in the worker threads."""
    futures = [executor.submit(contextvars.copy_context().run, func, item) for item in items]
    return [future.result() for future in futures]
