"""Make sure Keystone holds devstack's accounts and Glance's catalog entry.

Idempotent: run at every start, it creates what is missing and moves the
image endpoints to the current Glance port.
"""

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client

from . import config


def _find(manager, name, **kwargs):
    found = manager.list(name=name, **kwargs)
    return found[0] if found else None


def _ensure_project(keystone, name, description):
    return _find(keystone.projects, name, domain="default") or keystone.projects.create(
        name=name, domain="default", description=description)


def _ensure_user(keystone, name, password, project):
    user = _find(keystone.users, name, domain="default")
    if user is None:
        return keystone.users.create(name=name, domain="default", password=password,
                                     default_project=project)
    # The secrets file is the truth: keep Keystone in line with it.
    keystone.users.update(user, password=password)
    return user


def _ensure_role(keystone, name):
    return _find(keystone.roles, name) or keystone.roles.create(name=name)


def ensure(layout, passwords):
    auth = v3.Password(auth_url=layout.keystone_url, username="admin",
                       password=passwords["admin"], project_name="admin",
                       user_domain_id="default", project_domain_id="default")
    keystone = ks_client.Client(session=ks_session.Session(auth=auth),
                                interface="public")

    accounts = list(config.ACCOUNTS) + [(config.GLANCE_SERVICE_USER, "service", "admin")]
    for user_name, project_name, role_name in accounts:
        if user_name == "admin":
            continue  # made by keystone-manage bootstrap
        project = _ensure_project(keystone, project_name, f"{project_name} (glance-rest stack)")
        user = _ensure_user(keystone, user_name, passwords[user_name], project)
        keystone.roles.grant(_ensure_role(keystone, role_name), user=user, project=project)

    services = keystone.services.list(type="image")
    service = services[0] if services else keystone.services.create(
        name="glance", type="image", description="Glance Image Service")
    existing = {(e.region_id, e.interface): e for e in keystone.endpoints.list(service=service)}
    regions = {region.id for region in keystone.regions.list()}
    for region, urls in layout.image_endpoints().items():
        if region not in regions:
            keystone.regions.create(id=region)
        for interface, url in urls.items():
            endpoint = existing.get((region, interface))
            if endpoint is None:
                keystone.endpoints.create(service=service, url=url,
                                          interface=interface, region=region)
            elif endpoint.url != url:
                keystone.endpoints.update(endpoint, url=url)
