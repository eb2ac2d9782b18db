"""Sharing (image members, both sides) and tags."""

from ..errors import ApiError
from .client import quote
from .images import image_get_raw


MEMBER_FIELDS = ("member_id", "image_id", "status", "created_at", "updated_at")


def _member(body):
    return {key: body.get(key) for key in MEMBER_FIELDS}


def _members_path(image_id, member_id=None):
    path = f"/v2/images/{quote(image_id)}/members"
    return f"{path}/{quote(member_id, 'member')}" if member_id else path


def member_list(glance, image_id):
    """One GET (``image_members.list`` would fetch the member schema first and
    build a model of each member)."""
    return [_member(m) for m in glance.get(_members_path(image_id)).get("members", [])]


def member_add(glance, image_id, member_id):
    """Share the image with project ``member_id``. Glance 33 accepts members on
    an image of any visibility and then ignores them unless it is ``shared``:
    the image is read first, and such a request refused with what to do
    (visibility is never changed behind the owner's back)."""
    image = image_get_raw(glance, image_id)
    if image.get("visibility") != "shared":
        raise ApiError(409, f"The image's visibility is {image.get('visibility')!r}: set it "
                            "to 'shared' first, then add members.")
    return _member(glance.post(_members_path(image_id), {"member": member_id}))


def member_update(glance, image_id, member_id, status):
    """One PUT (``image_members.update`` would also fetch the member schema)."""
    return _member(glance.put(_members_path(image_id, member_id), {"status": status}))


def member_delete(glance, image_id, member_id):
    glance.client.image_members.delete(quote(image_id), quote(member_id, "member"))


def tag_add(glance, image_id, tag):
    glance.client.image_tags.update(quote(image_id), quote(tag, "tag"))


def tag_delete(glance, image_id, tag):
    glance.client.image_tags.delete(quote(image_id), quote(tag, "tag"))
