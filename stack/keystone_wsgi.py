"""Keystone's WSGI application, safe to load under gunicorn.

Keystone parses ``sys.argv`` with oslo.config when it builds the app and
dies on gunicorn's own arguments, so hide them while it loads.
"""

import sys

_argv, sys.argv = sys.argv, sys.argv[:1]
try:
    from keystone.server import wsgi as _wsgi

    application = _wsgi.initialize_public_application()
finally:
    sys.argv = _argv
