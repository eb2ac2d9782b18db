"""The one HTTP connection pool to Keystone and Glance, and what each request
did with it: how many calls went to which service, and Glance's request id."""

import contextvars
from urllib.parse import urlsplit

import requests
from django.conf import settings

# Per API request: {"glance": n, "keystone": n, "glance_request_id": str}.
calls = contextvars.ContextVar("glance_rest_backend_calls", default=None)


def _count(response, *args, **kwargs):
    tally = calls.get()
    if tally is None:
        return
    keystone = urlsplit(settings.OPENSTACK_KEYSTONE_URL)
    target = urlsplit(response.url)
    if (target.hostname, target.port) == (keystone.hostname, keystone.port):
        tally["keystone"] += 1
    else:
        tally["glance"] += 1
        request_id = response.headers.get("x-openstack-request-id")
        if request_id:
            tally["glance_request_id"] = request_id


http = requests.Session()
# Keystone and Glance are reached directly: no *_PROXY lookups on every call.
http.trust_env = False
http.hooks["response"].append(_count)
for scheme in ("http://", "https://"):
    http.mount(scheme, requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=64))


def run_in_context(executor, func, items):
    """``executor.map`` that keeps the caller's counters in the worker threads."""
    futures = [executor.submit(contextvars.copy_context().run, func, item) for item in items]
    return [future.result() for future in futures]
