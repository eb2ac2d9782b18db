"""A Horizon site: the settings and WSGI entry of the real Horizon (one per
maintained OpenStack release) that the browser tests and the bench run
(``stack.testing.HorizonServer``), in that release's own virtualenv
(.venv-horizon-RELEASE) with the repository root on PYTHONPATH. It
imports nothing from glance_rest or the repository's settings: mounting the
app is the operator's two lines in settings.py, behind GLANCE_REST_MOUNTED."""
