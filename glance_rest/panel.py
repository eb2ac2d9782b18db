"""The images panel at ``/``: one HTML page, its script (ES modules) and its
style sheet.

The panel is a client of the documented API and nothing else: it logs in
through /api/auth/, then calls /api/glance/ with the session cookie, the CSRF
token and X-Requested-With, as any dashboard would. The files are plain and
served as they are (no build step, nothing from the internet), with a
Content-Security-Policy that lets the page load only from this origin.
"""

import hashlib
import re
import threading
from pathlib import Path

from django.http import Http404, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from .errors import ApiError
from .rest import error_response

FILES = Path(__file__).resolve().parent / "panel_files"
SCRIPT_MODULES = ("main.js", "api.js", "state.js", "ui.js", "list.js", "create.js", "detail.js",
                  "metadata.js", "admin.js")
CONTENT_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "panel.css": "text/css; charset=utf-8",
    # The script: ES modules, main.js importing the others (no build step).
    **{name: "text/javascript; charset=utf-8" for name in SCRIPT_MODULES},
}
# Only this origin; no inline script or style, no plugins, no framing.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# A reference to another of the panel's files: the page's src/href, a
# module's import specifier.
_REFERENCE = re.compile(r'(?P<prefix>(?:src|href)="/panel/|from "\./|import "\./)'
                        r'(?P<name>[a-z]+\.(?:js|css))"')


class _Release:
    """The files as served: every reference to another carries the release's
    version (?v=, a hash of all the files), so those can be kept by browsers
    for good (a new release changes every address), while the page itself is
    revalidated on every load. Made again when a file changes on disk."""

    _lock = threading.Lock()
    _current = None

    @classmethod
    def get(cls):
        stamp = tuple((FILES / name).stat().st_mtime_ns for name in CONTENT_TYPES)
        with cls._lock:
            if cls._current is None or cls._current.stamp != stamp:
                cls._current = cls(stamp)
            return cls._current

    def __init__(self, stamp):
        self.stamp = stamp
        sources = {name: (FILES / name).read_text(encoding="utf-8") for name in CONTENT_TYPES}
        digest = hashlib.sha256()
        for name in sorted(sources):
            digest.update(name.encode() + b"\0" + sources[name].encode())
        self.version = digest.hexdigest()[:16]
        self.files = {}
        for name, text in sources.items():
            body = _REFERENCE.sub(lambda m: f'{m["prefix"]}{m["name"]}?v={self.version}"', text)
            body = body.encode("utf-8")
            self.files[name] = (body, '"%s"' % hashlib.sha256(body).hexdigest()[:32])


def _file_response(request, name):
    if request.method not in ("GET", "HEAD"):
        response = error_response(ApiError(405, f"Method {request.method} not allowed; use GET."))
        response["Allow"] = "GET, HEAD"
        return response
    release = _Release.get()
    body, etag = release.files[name]
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=CONTENT_TYPES[name])
    if name != "index.html" and request.GET.get("v") == release.version:
        # This release's address: never changes, kept without asking again.
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        # The page (and an address without this release's version): always
        # revalidated, so a new release is seen at once; 304 when unchanged.
        response["Cache-Control"] = "no-cache"
    response["ETag"] = etag
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"
    return response


# Read-only views (anything else is a JSON 405): no CSRF check to fail.
@csrf_exempt
@ensure_csrf_cookie
def index(request):
    """The page; it sets the CSRF cookie the page's unsafe calls send back."""
    return _file_response(request, "index.html")


@csrf_exempt
def asset(request, name):
    if name not in CONTENT_TYPES or name == "index.html":
        raise Http404(name)
    return _file_response(request, name)


urlpatterns = [
    path("", index, name="panel"),
    re_path(r"^panel/(?P<name>[a-z.]+)$", asset, name="panel-asset"),
]
