"""How Glance is called: one module owns it.

Through python-glanceclient, with the caller's own token: its managers where
they make the one request an operation needs, else the same client's
``http_client`` with that one request (the managers' ``get``, ``create``,
``update`` first fetch a schema and build and validate a model, or read the
image before and after: two or three requests for one). One exception, said
in ``Glance.stream``. Every error answer arrives as ``errors.GlanceError``
with its status (backend's response hook).
"""

import urllib.parse

from .. import auth, backend
from ..conf import settings
from ..errors import ApiError
from .schema import image_schema


def _unversioned(url):
    """Catalogs may register Glance with a version suffix (".../v2"); the
    paths here carry their own, as glanceclient strips it too."""
    url = url.rstrip("/")
    return url[:-3] if url.endswith(("/v2", "/v1")) else url


def quote(segment, what="image"):
    """A path segment; ids no Glance could hold are simply not found. "." and
    ".." would be dot segments, which the HTTP client removes: the call would
    reach another Glance route (/v2/images/../tasks is /v2/tasks)."""
    if (segment in (".", "..") or any(ord(c) < 0x20 or c == "\x7f" for c in segment)
            or len(segment) > 1024):
        raise ApiError(404, f"No {what} with that id.")
    return urllib.parse.quote(segment, safe="")


class Glance:
    """python-glanceclient bound to one caller's credentials and Glance endpoint."""

    def __init__(self, credentials):
        self.credentials = credentials
        self._connect(
            self.endpoint_for(auth.interface_name(settings.OPENSTACK_ENDPOINT_TYPE)),
            credentials.token)

    @classmethod
    def at(cls, endpoint, token):
        """A Glance at a known endpoint, without a caller's catalog (tests)."""
        glance = cls.__new__(cls)
        glance.credentials = None
        glance._connect(_unversioned(endpoint), token)
        return glance

    def _connect(self, endpoint, token):
        self.endpoint = endpoint
        self.session = backend.glance_session(endpoint, token)
        self.client = backend.glance_client(endpoint, self.session)

    def endpoint_for(self, interface):
        return _unversioned(self.credentials.endpoint("image", interface))

    def schema(self):
        return image_schema(self)

    def get(self, path):
        """The decoded JSON of one GET."""
        return self.client.http_client.get(path)[1]

    def post(self, path, body):
        return self.client.http_client.post(path, data=body)[1]

    def put(self, path, body):
        return self.client.http_client.put(path, data=body)[1]

    def delete(self, path):
        self.client.http_client.delete(path)

    def patch(self, path, body, content_type):
        return self.client.http_client.patch(path, headers={"Content-Type": content_type},
                                             data=body)[1]

    def stream(self, path, headers):
        """A streamed GET with ``headers`` sent as they are, through the
        keystoneauth1 session glanceclient uses (glanceclient percent-encodes
        header values: a Range of ``bytes=0-9`` would reach Glance as
        ``bytes%3D0-9``, an invalid range). The caller closes the response."""
        return self.session.get(f"{self.endpoint}{path}", headers=headers, stream=True,
                                raise_exc=False)
