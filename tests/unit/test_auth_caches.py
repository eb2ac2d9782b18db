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
