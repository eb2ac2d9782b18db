"""Staging and interoperable import, stores, the image's tasks, ranged downloads."""

from .. import uploads
from .client import quote


def image_stage(glance, image_id, chunks, size=None):
    """Stream ``chunks`` into Glance's staging area (for a glance-direct import)."""
    glance.client.images.stage(quote(image_id), uploads.ChunkReader(chunks), image_size=size)


def image_import(glance, image_id, method, uri=None, stores=None, all_stores=False,
                 all_stores_must_succeed=True):
    """Start an import (Glance answers 202 and works on in the background)."""
    glance.client.images.image_import(
        quote(image_id), method=method, uri=uri, stores=stores or None,
        all_stores=all_stores or None, allow_failure=not all_stores_must_succeed)


def image_delete_from_store(glance, image_id, store):
    glance.client.images.delete_from_store(quote(store, "store"), quote(image_id))


TASK_FIELDS = ("id", "type", "status", "message", "created_at", "updated_at", "result")


def image_tasks(glance, image_id):
    """The image's tasks, newest first. One GET: ``images.get_associated_image_tasks``
    asks Glance's version list first, a second request for what a 404 says as well."""
    body = glance.get(f"/v2/images/{quote(image_id)}/tasks")
    tasks = [{key: task.get(key) for key in TASK_FIELDS} for task in body.get("tasks", [])]
    return sorted(tasks, key=lambda t: t.get("created_at") or "", reverse=True)


class Download:
    """One image's data as Glance streams it: ``chunks``, ``status`` (200, or
    206 for a range) and the headers worth passing on."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.headers = {name: response.headers[name]
                        for name in ("Content-Length", "Content-Range")
                        if name in response.headers}

    def chunks(self):
        try:
            yield from self.response.iter_content(uploads.CHUNK_SIZE)
        finally:
            self.response.close()


def image_download_range(glance, image_id, byte_range):
    """The image's data for a ``Range`` header value (one ``bytes=`` range),
    or None when the image has none. Sent through the keystoneauth1 adapter
    (``Glance.stream``: glanceclient would percent-encode the header)."""
    response = glance.stream(f"/v2/images/{quote(image_id)}/file", {"Range": byte_range})
    if response.status_code == 204:
        response.close()
        return None
    return Download(response)
