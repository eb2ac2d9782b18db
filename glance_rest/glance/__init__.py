"""The Glance wrapper, owning what the views should not: pagination in both
directions, filters, and the split of an image into Glance's base attributes
and its custom ``properties``. By concern:

- ``client``: how Glance is called (python-glanceclient, the caller's token);
- ``schema``: Glance's image schema, cached per endpoint;
- ``paging``: pages both ways with Horizon's flags;
- ``images``, ``sharing``, ``stores``, ``metadefs``: the operations.
"""

from .client import Glance
from .images import (
    image_add_location, image_create, image_delete, image_download, image_get, image_get_raw,
    image_import_from_url, image_list, image_scan, image_to_dict, image_update,
    image_update_properties, image_upload, image_action, import_status, upload_url,
)
from .metadefs import (
    metadefs_association_add, metadefs_association_remove, metadefs_associations,
    metadefs_namespace, metadefs_namespace_create, metadefs_namespace_delete,
    metadefs_namespace_export, metadefs_namespace_list, metadefs_namespace_update,
    metadefs_namespaces_import,
    metadefs_object_create, metadefs_object_delete, metadefs_object_update,
    metadefs_property_create, metadefs_property_delete, metadefs_property_update,
    metadefs_resource_types, metadefs_tag_create, metadefs_tag_delete, metadefs_tag_update,
)
from .paging import page
from .schema import ImageSchema
from .sharing import member_add, member_delete, member_list, member_update, tag_add, tag_delete
from .stores import (
    image_delete_from_store, image_download_range, image_import, image_stage, image_tasks,
)

__all__ = [
    "Glance", "ImageSchema", "image_action", "image_add_location", "image_create",
    "image_delete", "image_delete_from_store", "image_download", "image_download_range",
    "image_get", "image_get_raw", "image_import", "image_import_from_url", "image_list",
    "image_scan",
    "image_stage", "image_tasks", "image_to_dict", "image_update", "image_update_properties",
    "image_upload", "import_status", "member_add", "member_delete", "member_list",
    "member_update", "metadefs_association_add", "metadefs_association_remove",
    "metadefs_associations", "metadefs_namespace", "metadefs_namespace_create",
    "metadefs_namespace_delete", "metadefs_namespace_export", "metadefs_namespace_list",
    "metadefs_namespace_update", "metadefs_namespaces_import", "metadefs_object_create",
    "metadefs_object_delete",
    "metadefs_object_update", "metadefs_property_create", "metadefs_property_delete",
    "metadefs_property_update", "metadefs_resource_types", "metadefs_tag_create",
    "metadefs_tag_delete", "metadefs_tag_update",
    "page", "tag_add", "tag_delete", "upload_url",
]
