"""glance_rest.horizon.auth and conf (no stack): Horizon's logged-in user as
this API's credentials, the Glance endpoint chosen as Horizon's url_for
chooses it, and the settings a Horizon may leave unset. The user object has
the attributes openstack_auth's User has; the real one is driven in Chromium
by tests/browser/test_inside_horizon.py."""

import datetime
from types import SimpleNamespace

import pytest

from glance_rest.errors import LoginExpired


def catalog():
    def endpoints(region, *interfaces):
        return [{"region_id": region, "region": region, "interface": interface,
                 "url": f"http://{interface}.{region.lower()}:9292"} for interface in interfaces]
    return [{"type": "image", "name": "glance",
             "endpoints": endpoints("RegionOne", "public", "internal")
             + endpoints("RegionTwo", "public")},
            {"type": "identity", "name": "keystone", "endpoints": endpoints("RegionOne", "public")}]


def horizon_user(region="RegionOne", expires_in=3600, authenticated=True):
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
    token = SimpleNamespace(id="the-token", expires=expires, project={"domain_id": "default"})
    return SimpleNamespace(token=token, id="u1", username="demo", user_domain_id="default",
                           user_domain_name="Default", project_id="p1", project_name="demo",
                           roles=[{"name": "member"}, {"name": "reader"}],
                           service_catalog=catalog(), services_region=region,
                           is_authenticated=authenticated)


@pytest.fixture
def horizon_settings(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "horizon-auth-test"}}
    settings.OPENSTACK_ENDPOINT_TYPE = "publicURL"
    settings.SECONDARY_ENDPOINT_TYPE = None
    settings.OPENSTACK_REGION = None
    return settings


def request_for(user, cookies=None, session=None):
    return SimpleNamespace(user=user, COOKIES=cookies or {}, session=session or {})


def test_the_logged_in_user_is_the_caller(horizon_settings):
    from glance_rest.horizon.auth import credentials

    creds = credentials(request_for(horizon_user()))
    assert creds.token == "the-token"
    assert creds.describe()["project"] == {"id": "p1", "name": "demo", "domain": None}
    assert creds.describe()["roles"] == ["member", "reader"]
    assert creds.access.user_id == "u1" and creds.access.project_id == "p1"


def test_the_endpoint_is_in_the_users_region(horizon_settings):
    from glance_rest.horizon.auth import credentials

    one = credentials(request_for(horizon_user("RegionOne")))
    two = credentials(request_for(horizon_user("RegionTwo")))
    assert one.endpoint("image", "public") == "http://public.regionone:9292"
    assert two.endpoint("image", "public") == "http://public.regiontwo:9292"


def test_secondary_endpoint_type_is_the_fallback(horizon_settings):
    from keystoneauth1 import exceptions as ks_exc

    from glance_rest.horizon.auth import credentials

    creds = credentials(request_for(horizon_user("RegionTwo")))
    with pytest.raises(ks_exc.EndpointNotFound):
        creds.endpoint("image", "internal")
    horizon_settings.SECONDARY_ENDPOINT_TYPE = "publicURL"
    creds = credentials(request_for(horizon_user("RegionTwo")))
    assert creds.endpoint("image", "internal") == "http://public.regiontwo:9292"


def test_anonymous_is_nobody_and_expired_is_401(horizon_settings):
    from glance_rest.horizon.auth import credentials

    assert credentials(request_for(SimpleNamespace(is_authenticated=False))) is None
    assert credentials(SimpleNamespace()) is None
    with pytest.raises(LoginExpired):
        credentials(request_for(horizon_user(expires_in=-60, authenticated=False)))


def test_forgetting_leaves_horizons_session_alone(horizon_settings):
    from glance_rest.horizon.auth import credentials

    session = {"token": "horizon's"}
    request = request_for(horizon_user(), session=session)
    credentials(request).forget(request)
    assert session == {"token": "horizon's"}


def test_page_size_as_horizon_reads_it(horizon_settings):
    from glance_rest.conf import page_size

    horizon_settings.API_RESULT_PAGE_SIZE = 20
    horizon_settings.API_RESULT_LIMIT = 100
    assert page_size(request_for(None)) == 20
    assert page_size(request_for(None, cookies={"API_RESULT_PAGE_SIZE": "7"})) == 7
    assert page_size(request_for(None, cookies={"API_RESULT_PAGE_SIZE": "7"},
                                 session={"API_RESULT_PAGE_SIZE": 9})) == 9
    assert page_size(request_for(None, cookies={"API_RESULT_PAGE_SIZE": "x"})) == 20
    assert page_size(request_for(None, cookies={"API_RESULT_PAGE_SIZE": "5000"})) == 100


def test_a_horizon_without_this_apps_settings_gets_the_defaults(settings):
    from glance_rest.conf import settings as conf

    for name in ("TOKEN_CACHE_SECONDS", "IMAGES_ALLOW_LOCATION", "HORIZON_IMAGES_UPLOAD_MODE",
                 "OPENSTACK_REGION", "SECONDARY_ENDPOINT_TYPE"):
        delattr(settings, name)
    assert conf.TOKEN_CACHE_SECONDS == 300
    assert conf.IMAGES_ALLOW_LOCATION is False  # Horizon's default
    assert conf.HORIZON_IMAGES_UPLOAD_MODE == "legacy"
    assert conf.OPENSTACK_REGION is None and conf.SECONDARY_ENDPOINT_TYPE is None
    with pytest.raises(AttributeError):
        conf.NOT_A_SETTING  # noqa: B018
