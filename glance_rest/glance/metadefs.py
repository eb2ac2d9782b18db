"""Metadata definitions: namespaces (full, side by side) and resource types,
and their administration (create, update, delete, export; associations,
properties, objects and tags), each write one Glance call with the caller's
token: Glance's policy decides."""

import contextvars
import hashlib
import json
import logging
import threading
import urllib.parse
import uuid
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor

from django.core.cache import cache

from .. import backend, errors
from ..caching import cache_key
from ..conf import settings
from .client import quote
from .paging import fetch_all, listing

LOG = logging.getLogger(__name__)
_namespace_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="metadefs")


def metadefs_namespace_list(glance, filters, options, resource_type=None,
                            properties_target=None):
    """A page of full namespaces: ``filters`` and ``options`` as
    params.namespace_listing made them."""
    sort_key = options["sort_key"]
    if resource_type:
        filters = dict(filters, resource_types=resource_type)
    keep = _properties_target_filter(properties_target, filters.get("resource_types"))

    def fetch(marker, sort_dir, count):
        params = dict(filters, sort_key=sort_key, sort_dir=sort_dir)
        if marker:
            params["marker"] = marker
        return fetch_all(glance, "/v2/metadefs/namespaces", "namespaces", params, count, keep)

    summaries, has_more, has_prev = listing(fetch, **options)
    query = _resource_type_query(resource_type)
    endpoint = glance.endpoint

    # The listing (made with the caller's token) decides which namespaces the
    # caller sees, but not whether it may read their contents: Glance's policy
    # may refuse a role a namespace's objects, properties or tags (its GET is
    # then a 403). A body is reused only for the caller it was fetched for, as
    # Glance's policy knows the caller (policy_caller), and for exactly the
    # summary the listing shows: any change it shows (updated_at, description,
    # associations...) is a new key. A change to a property, object, tag or
    # association leaves Glance's summary as it was: the namespace's
    # generation, renewed by every write through this API (on any instance
    # sharing the cache), is part of the key too.
    # The cache is read and written in this thread only: Django's cache objects
    # are per context, which the worker threads share, and a memcached client
    # (pymemcache, Horizon's usual CACHES) is not safe across threads.
    caching = bool(settings.METADEFS_CACHE_SECONDS)
    generations = (namespace_generations(endpoint, [s["namespace"] for s in summaries])
                   if caching else {})
    caller = policy_caller(glance)
    keys = [namespace_body_key(endpoint, caller, resource_type, summary,
                               generations.get(summary["namespace"], ""))
            for summary in summaries]
    cached = cache.get_many(keys) if caching else {}
    missing = [(key, summary) for key, summary in zip(keys, summaries) if key not in cached]

    def full(item):
        # (metadefs_namespace.get would also fetch the namespace schema and
        # validate a model of the body.)
        return glance.get(_path(item[1]["namespace"]) + query)

    # Glance lists summaries only: fetch the full namespaces side by side.
    fetched = dict(zip((key for key, _ in missing),
                       backend.run_in_context(_namespace_pool, full, missing)))
    if fetched and caching:
        cache.set_many(fetched, settings.METADEFS_CACHE_SECONDS)
    return [cached[key] if key in cached else fetched[key] for key in keys], has_more, has_prev


def namespace_body_key(endpoint, caller, resource_type, summary, generation):
    """The cache key of a full namespace body: whom it was fetched for, what
    the listing showed of it, and its generation.

    Glance lists a namespace's associations in no set order (its query has no
    ORDER BY; PostgreSQL's plan changes once autovacuum has analysed the
    tables): the same summary with its associations in another order is the
    same key."""
    shown = dict(summary)
    if isinstance(shown.get("resource_type_associations"), list):
        shown["resource_type_associations"] = sorted(
            shown["resource_type_associations"], key=lambda a: json.dumps(a, sort_keys=True))
    return cache_key("namespace", endpoint, caller, resource_type or "",
                     json.dumps(shown, sort_keys=True), generation)


def policy_caller(glance):
    """The caller as Glance's policy sees it (oslo.policy's credentials of a
    project-scoped token: user, project, their domains, roles): two calls
    that differ in none of these are allowed the same by any policy."""
    credentials = glance.credentials
    if credentials is None:  # Glance.at: a bare token
        return hashlib.sha256(glance.session.get_token().encode()).hexdigest()
    a = credentials.access
    return json.dumps([a.user_id, a.user_domain_id, a.project_id, a.project_domain_id,
                       sorted(a.role_names or ()), a.is_admin_project])


# --- generations: what makes a cached body older than a write ----------------------
# A generation is a random value, not a counter: one lost from the cache (expired,
# evicted) is replaced by a new value, never by one a body was cached under before.
GENERATION_SECONDS = 24 * 3600


def _generation_key(endpoint, namespace):
    return cache_key("namespace-generation", endpoint, namespace)


def namespace_generations(endpoint, names):
    """{name: current generation} of these namespaces, made where missing.

    Read before the bodies are fetched: a write that ends after this read has
    a new generation, so whatever was fetched meanwhile is kept under the old
    one, which no one asks for again."""
    keys = {name: _generation_key(endpoint, name) for name in names}
    found = cache.get_many(list(keys.values()))
    generations = {}
    for name, key in keys.items():
        if key not in found:
            # add, never set: a write's new generation made meanwhile stays.
            fresh = uuid.uuid4().hex
            found[key] = fresh if cache.add(key, fresh, GENERATION_SECONDS) else (
                cache.get(key) or fresh)
        generations[name] = found[key]
    return generations


def renew_generation(endpoint, namespace):
    """After a write: no body cached before it is served again, here or by
    another instance sharing the cache.

    The write is done whatever the cache says: a cache that cannot be
    reached (Redis down) is logged, and the bodies cached before the write
    expire within METADEFS_CACHE_SECONDS as every cached body does."""
    try:
        cache.set(_generation_key(endpoint, namespace), uuid.uuid4().hex, GENERATION_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any cache backend's failure
        # Its class only: nothing of the cache's address or credentials.
        LOG.warning("Metadefs cache: the generation of namespace %r was not renewed (%s); "
                    "bodies cached before this write are served for up to %s s",
                    namespace, type(exc).__name__, settings.METADEFS_CACHE_SECONDS)


def _properties_target_filter(target, resource_types):
    """Horizon's ``properties_target`` (which Glance ignores): keep the namespaces
    associated with one of ``resource_types`` for that target. Like Horizon,
    only when both are given."""
    if not target or not resource_types:
        return None
    names = set(resource_types if isinstance(resource_types, list)
                else resource_types.split(","))

    def keep(namespace):
        return any(a.get("name") in names and a.get("properties_target") == target
                   for a in namespace.get("resource_type_associations") or ())
    return keep


def metadefs_resource_types(glance):
    """One GET (metadefs_resource_type.list also fetches a schema and builds a
    model per resource type)."""
    return glance.get("/v2/metadefs/resource_types").get("resource_types", [])


def metadefs_namespace(glance, namespace, resource_type=None):
    """One full namespace, its properties prefixed for ``resource_type``
    (one GET: ``metadefs_namespace.get`` would fetch the namespace schema and
    validate a model of the body)."""
    query = _resource_type_query(resource_type)
    return glance.get(_path(namespace) + query)


def _resource_type_query(resource_type):
    """Glance prefixes a namespace's properties for this resource type."""
    return f"?resource_type={urllib.parse.quote(resource_type)}" if resource_type else ""


# --- administration -----------------------------------------------------------------
# A namespace's collections, and what one of their members is called.
MEMBERS = {"resource_types": "resource type association", "properties": "property",
           "objects": "object", "tags": "tag"}


def _path(namespace, *parts):
    """/v2/metadefs/namespaces/<namespace>[/<collection>[/<name>]], each segment
    quoted; ``parts`` are (collection, name) pairs, name None for the collection."""
    path = f"/v2/metadefs/namespaces/{quote(namespace, 'namespace')}"
    for collection, name in parts:
        path += f"/{collection}" + (f"/{quote(name, MEMBERS[collection])}" if name else "")
    return path


def _write(glance, namespace, call, *args):
    """One write to Glance; the namespace's generation is renewed whatever the
    outcome (a write that timed out or failed half-way may still have changed
    it), so no cached body from before is served again. The renewal never
    changes the write's answer (renew_generation)."""
    try:
        return call(*args)
    finally:
        renew_generation(glance.endpoint, namespace)


# What a namespace document holds, at each level, as ``glance-manage
# db_export_metadefs`` writes it (plus an object's ``required``, which that
# export drops and Glance keeps): what Glance makes (created_at, updated_at,
# owner, self, schema) is left out, as Horizon's Import leaves it out.
NAMESPACE_FIELDS = ("namespace", "display_name", "description", "visibility", "protected")
ASSOCIATION_FIELDS = ("name", "prefix", "properties_target")
OBJECT_FIELDS = ("name", "description", "required")
EDITABLE_FIELDS = ("display_name", "description", "visibility", "protected")


def _kept(body, fields):
    return {key: body[key] for key in fields if body.get(key) is not None}


def property_definition(definition):
    """A property's definition without what Glance adds, and without nulls
    (Glance's schema refuses a null where it expects a value)."""
    return {key: value for key, value in definition.items() if value is not None}


def _properties(properties):
    return {name: property_definition(definition)
            for name, definition in (properties or {}).items()}


def namespace_document(namespace):
    """The document Glance's create takes, of a namespace as Glance shows it
    or as an import sends it: the export, and what an import sends on. Lists
    are in name order (Glance's follows creation), so that two clouds' exports
    of one namespace are the same text."""
    document = _kept(namespace, NAMESPACE_FIELDS)
    if namespace.get("resource_type_associations"):
        document["resource_type_associations"] = [
            _kept(a, ASSOCIATION_FIELDS) for a in _by_name(namespace["resource_type_associations"])]
    if namespace.get("properties"):
        document["properties"] = _properties(namespace["properties"])
    if namespace.get("objects"):
        document["objects"] = [
            {**_kept(o, OBJECT_FIELDS), **({"properties": _properties(o["properties"])}
                                           if o.get("properties") else {})}
            for o in _by_name(namespace["objects"])]
    if namespace.get("tags"):
        document["tags"] = [{"name": t["name"]} for t in _by_name(namespace["tags"])]
    return document


# Imports one batch sends to Glance at once: Glance writes a namespace's rows
# one after another, so a few at once overlap one's database waits with the
# others' work (make bench-admin: 3 beat 2 and 4 on a one-worker Glance).
IMPORT_CONCURRENCY = 3
_import_pool = ThreadPoolExecutor(max_workers=IMPORT_CONCURRENCY * 4,
                                  thread_name_prefix="metadefs-import")


def metadefs_namespaces_import(glance, documents):
    """Import each document as metadefs_namespace_create does, IMPORT_CONCURRENCY
    at a time; one refused does not stop the others. Each document's outcome,
    in order: ``{"namespace", "status"}``, and ``error`` (the API's error)
    when it was not imported.

    A call hands the shared pool at most IMPORT_CONCURRENCY documents at a
    time, the next as one is done: a large import takes that many of the
    pool's workers, never all of them, and another call's documents start at
    once instead of queueing behind its rest."""
    bodies = [namespace_document(document) for document in documents]

    def one(body):
        try:
            glance.post("/v2/metadefs/namespaces", body)
        except Exception as exc:  # noqa: BLE001 - translated, or raised again
            error = errors.from_client_error(exc)
            if error is None:
                raise
            return {"namespace": body["namespace"], "status": error.status,
                    "error": error.as_dict()["error"]}
        return {"namespace": body["namespace"], "status": 201}

    outcomes = [None] * len(bodies)
    waiting = iter(enumerate(bodies))
    running = {}

    def submit_next():
        following = next(waiting, None)
        if following is not None:
            index, body = following
            # The caller's counters (backend.run_in_context) in the worker.
            running[_import_pool.submit(contextvars.copy_context().run, one, body)] = index
    try:
        for _ in range(IMPORT_CONCURRENCY):
            submit_next()
        while running:
            done, _ = futures.wait(running, return_when=futures.FIRST_COMPLETED)
            for future in done:
                outcomes[running.pop(future)] = future.result()
                submit_next()
        return outcomes
    finally:
        # Here, not in the pool's threads (see metadefs_namespace_list).
        for body in bodies:
            renew_generation(glance.endpoint, body["namespace"])


def _by_name(items):
    return sorted(items, key=lambda item: str(item.get("name", "")))


def metadefs_namespace_create(glance, document):
    """Create a namespace with all it holds in one call (Glance's POST takes
    properties, objects, tags and associations and undoes the namespace if
    one of them fails)."""
    body = namespace_document(document)
    return _write(glance, body["namespace"], glance.post, "/v2/metadefs/namespaces", body)


def namespace_update_body(current, changes):
    """Glance's PUT replaces the namespace: unsent, display_name and
    description would be cleared, visibility made private, protected false
    and the owner the caller's project. What the caller did not change is
    sent as Glance holds it."""
    return {**_kept(current, (*NAMESPACE_FIELDS, "owner")),
            **{key: changes[key] for key in EDITABLE_FIELDS if key in changes}}


def metadefs_namespace_update(glance, namespace, changes):
    path = _path(namespace)
    body = namespace_update_body(glance.get(path), changes)
    return _write(glance, namespace, glance.put, path, body)


def metadefs_namespace_delete(glance, namespace):
    """A protected namespace is Glance's 403, with its reason."""
    _write(glance, namespace, glance.delete, _path(namespace))


def metadefs_namespace_export(glance, namespace):
    return namespace_document(glance.get(_path(namespace)))


# Resource type associations.
def metadefs_associations(glance, namespace):
    path = _path(namespace, ("resource_types", None))
    return glance.get(path).get("resource_type_associations", [])


def metadefs_association_add(glance, namespace, association):
    return _write(glance, namespace, glance.post, _path(namespace, ("resource_types", None)),
                  _kept(association, ASSOCIATION_FIELDS))


def metadefs_association_remove(glance, namespace, resource_type):
    _write(glance, namespace, glance.delete,
           _path(namespace, ("resource_types", resource_type)))


# Properties and objects: Glance's PUT replaces the whole definition and
# takes the name in the body (another name renames it).
def metadefs_property_create(glance, namespace, definition):
    return _write(glance, namespace, glance.post, _path(namespace, ("properties", None)),
                  property_definition(definition))


def _refuse_a_taken_name(glance, namespace, collection, name, new_name):
    """Glance answers a property or object renamed onto a name the namespace
    already holds with its 500 (a unique key in its database) where a tag
    gets its 409: the same 409 here, before the write."""
    if new_name in (None, name):
        return
    try:
        glance.get(_path(namespace, (collection, new_name)))
    except errors.GlanceError as error:
        if error.status == 404:
            return
        raise
    raise errors.ApiError(409, f"{namespace} already has {collection} named {new_name!r}.",
                          field="name")


def metadefs_property_update(glance, namespace, name, definition):
    body = {"name": name, **property_definition(definition)}
    _refuse_a_taken_name(glance, namespace, "properties", name, body["name"])
    return _write(glance, namespace, glance.put, _path(namespace, ("properties", name)), body)


def metadefs_property_delete(glance, namespace, name):
    _write(glance, namespace, glance.delete, _path(namespace, ("properties", name)))


def _object_body(body):
    kept = _kept(body, OBJECT_FIELDS)
    if body.get("properties") is not None:
        kept["properties"] = _properties(body["properties"])
    return kept


def metadefs_object_create(glance, namespace, body):
    return _write(glance, namespace, glance.post, _path(namespace, ("objects", None)),
                  _object_body(body))


def metadefs_object_update(glance, namespace, name, body):
    body = {"name": name, **_object_body(body)}
    _refuse_a_taken_name(glance, namespace, "objects", name, body["name"])
    return _write(glance, namespace, glance.put, _path(namespace, ("objects", name)), body)


def metadefs_object_delete(glance, namespace, name):
    _write(glance, namespace, glance.delete, _path(namespace, ("objects", name)))


# Tags: Glance names a new tag in its path (no body); a PUT renames one.
def metadefs_tag_create(glance, namespace, name):
    return _write(glance, namespace, glance.post, _path(namespace, ("tags", name)), None)


def metadefs_tag_update(glance, namespace, name, new_name):
    return _write(glance, namespace, glance.put, _path(namespace, ("tags", name)),
                  {"name": new_name})


def metadefs_tag_delete(glance, namespace, name):
    _write(glance, namespace, glance.delete, _path(namespace, ("tags", name)))
