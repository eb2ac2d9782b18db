"""Horizon's WSGI entry for this site (openstack_dashboard.wsgi hard-codes its
own settings module)."""

import os
import re

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stack.horizon_site.settings")
django_application = get_wsgi_application()
SLASHES = re.compile("//+")


def application(environ, start_response):
    # The Images panel asks for .../images//actions/...: Apache and nginx
    # collapse the slashes, WhiteNoise answers 404 and the panel loses its buttons.
    environ["PATH_INFO"] = SLASHES.sub("/", environ.get("PATH_INFO", ""))
    return django_application(environ, start_response)
