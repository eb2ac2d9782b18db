"""Make one Horizon session's Keystone token look expired, as it is once its
time is up (the tests' way to reach that state without waiting an hour):
``python -m stack.horizon_site.expire_session SESSION_KEY``, in Horizon's
virtualenv with the site's environment (HorizonServer.expire_session)."""

import datetime
import os
import sys
from importlib import import_module

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stack.horizon_site.settings")
django.setup()

from django.conf import settings  # noqa: E402 - after setup

store = import_module(settings.SESSION_ENGINE).SessionStore(sys.argv[1])
token = store["token"]  # openstack_auth's Token
token.expires = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
store["token"] = token
store.save()
