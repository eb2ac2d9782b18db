"""One log line per request, and the ids that tie it to Glance's logs."""

import logging
import time
import uuid

from . import backend
from .conf import settings

LOG = logging.getLogger("glance_rest.requests")


class RequestLogMiddleware:
    """Log id, user, project, method, path, status, duration and backend calls;
    answer with X-Request-Id and Glance's X-OpenStack-Request-Id. Never a
    token, a password or a query string (filters may name things)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = f"req-{uuid.uuid4()}"
        request.request_id = request_id
        started = time.monotonic()
        cpu_started = time.process_time()
        with backend.counting() as tally:
            response = self.get_response(request)
        elapsed_ms = (time.monotonic() - started) * 1000
        response["X-Request-Id"] = request_id
        if tally.glance_request_id:
            response["X-OpenStack-Request-Id"] = tally.glance_request_id
        if settings.BACKEND_CALLS_HEADER:
            response["X-Backend-Calls"] = f"glance={tally.glance}, keystone={tally.keystone}"
            # The process's CPU time while this request ran (all its threads:
            # exact when requests come one at a time, as make bench sends them).
            response["X-Request-Cpu-Ms"] = f"{(time.process_time() - cpu_started) * 1000:.3f}"
        credentials = getattr(request, "credentials", None)
        LOG.info("%s user=%s project=%s %s %s %s %.1fms glance=%d keystone=%d glance_id=%s",
                 request_id,
                 credentials.access.user_id if credentials else "-",
                 credentials.access.project_id if credentials else "-",
                 request.method, request.path, response.status_code, elapsed_ms,
                 tally.glance, tally.keystone, tally.glance_request_id or "-")
        return response
