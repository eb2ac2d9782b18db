"""sessions.py and auth.py's token cache (no stack)."""

import pytest


@pytest.mark.django_db
def test_session_store_reads_live_sessions_only():
    import datetime

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from glance_rest.sessions import SessionStore

    store = SessionStore()
    store["k"] = "v"
    store.save()
    assert SessionStore(store.session_key).load() == {"k": "v"}
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1))
    stale = SessionStore(store.session_key)
    assert stale.load() == {} and stale.session_key is None
    assert SessionStore("no-such-session-key").load() == {}


def test_token_cache_trusts_a_token_until_it_is_about_to_expire(settings):
    import datetime

    from keystoneauth1 import access

    from glance_rest.auth import TokenCache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "token-cache-test"}}
    now = datetime.datetime.now(datetime.timezone.utc)

    def body(seconds):
        expires = (now + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        return {"token": {"expires_at": expires, "methods": ["password"],
                          "user": {"id": "u", "name": "n"}, "project": {"id": "p", "name": "p"}}}

    cache = TokenCache()
    fresh, dying = body(3600), body(10)  # dying: under 30 s left
    cache.put("fresh", fresh, access.create(body=fresh))
    cache.put("dying", dying, access.create(body=dying))
    found = cache.get("fresh", "the-token")
    assert found.project_id == "p" and found.auth_token == "the-token"
    assert cache.get("dying", "t") is None
    cache.drop("fresh")
    assert cache.get("fresh", "the-token") is None


def _dicts_holding(key, value):
    """The dicts still reachable from any object the collector tracks that
    map ``key`` to ``value`` (dicts of strings only are not tracked
    themselves, so they are looked for among what refers to them)."""
    import gc

    gc.collect()
    # type(), not isinstance(): asking a lazy object (Django's staticfiles
    # storage) its class would build it.
    return [r for o in gc.get_objects() for r in gc.get_referents(o)
            if type(r) is dict and r.get(key) == value]


@pytest.mark.django_db
def test_a_decoded_session_is_neither_shared_nor_kept_after_logout():
    import uuid

    from glance_rest.auth import SESSION_KEY
    from glance_rest.sessions import SessionStore

    state = {"auth_token": f"token-{uuid.uuid4().hex}", "body": {"token": {"roles": []}}}
    store = SessionStore()
    store[SESSION_KEY] = state
    store.save()
    key = store.session_key
    first, second = SessionStore(key), SessionStore(key)
    first[SESSION_KEY]["body"]["token"]["roles"].append("admin")  # one request's change
    assert second[SESSION_KEY] == state  # is not another's
    store.flush()  # logout
    assert SessionStore(key).load() == {}
    del store, first, second
    assert _dicts_holding(SESSION_KEY, state) == []
