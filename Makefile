# glance-rest: make run | make test | make serve | make bench
PYTHON ?= python3
VENV := .venv
STACK_VENV := .venv-stack
HORIZON_VENV := .venv-horizon
API_PORT ?= 8000
# JSON answers for what gunicorn refuses itself (e.g. 414); see glance_rest/gunicorn_worker.py.
WORKER_CLASS := --worker-class glance_rest.gunicorn_worker.ThreadWorker
# Development key handling (see settings/); set SECRET_KEY in production.
export GLANCE_REST_DEV ?= 1

.PHONY: run serve test test-unit bench bench-horizon bench-data venvs all-venvs installed installed-all \
	horizon clean-stack system-deps screenshots bench-panel

venvs: $(VENV)/.installed $(STACK_VENV)/.installed
# The tests and the bench also run a real Horizon; make run does not need it.
all-venvs: venvs $(HORIZON_VENV)/.installed

# The virtualenvs install two at a time: the three in about 66 s instead of 108 on 2 cores.
installed:
	@$(MAKE) --no-print-directory -j2 venvs
installed-all:
	@$(MAKE) --no-print-directory -j2 all-venvs

# Reinstall only when the pinned requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-browser.txt constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -c constraints.txt -r requirements.txt -r requirements-dev.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -r requirements-browser.txt
	@touch $@

$(STACK_VENV)/.installed: requirements-stack.txt
	@test -x $(STACK_VENV)/bin/python || $(PYTHON) -m venv $(STACK_VENV)
	$(STACK_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-stack.txt
	@touch $@

# A real Horizon 27 for the browser tests and the bench: its own Django and clients.
$(HORIZON_VENV)/.installed: requirements-horizon.txt
	@test -x $(HORIZON_VENV)/bin/python || $(PYTHON) -m venv $(HORIZON_VENV)
	$(HORIZON_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-horizon.txt
	@touch $@

# django-admin with Horizon's site settings (stack/horizon_site/). collectstatic
# and compress sign nothing and keep no cache: a throwaway key and cache folder.
HORIZON_ADMIN = PYTHONPATH=$(CURDIR) DJANGO_SETTINGS_MODULE=stack.horizon_site.settings \
	SECRET_KEY=build-only HORIZON_DATA_DIR=$(CURDIR)/build/horizon-cache \
	$(HORIZON_VENV)/bin/django-admin
# The offline manifest holds WEBROOT and STATIC_URL, so one per web root served.
HORIZON_WEBROOTS := / /dashboard/

# Horizon's static files, collected and compressed offline once (its pages
# cannot render without), served by WhiteNoise from build/horizon-static.
build/horizon-static.stamp: $(HORIZON_VENV)/.installed requirements-horizon.txt \
		stack/horizon_site/settings.py
	rm -rf build/horizon-static build/horizon-cache
	$(HORIZON_ADMIN) collectstatic --noinput -v0
	for root in $(HORIZON_WEBROOTS); do \
		HORIZON_WEBROOT=$$root $(HORIZON_ADMIN) compress --force -v0 || exit 1; done
	rm -rf build/horizon-cache
	@touch $@

# This checkout installed into Horizon's virtualenv as an operator would, every
# time: the app's code changes more often than make could tell. setuptools
# builds in build/lib and would keep modules deleted since.
horizon: build/horizon-static.stamp
	rm -rf build/lib
	$(HORIZON_VENV)/bin/pip install -q --disable-pip-version-check --no-deps .

# The embedded Keystone + Glance stack, then the API on 127.0.0.1:$(API_PORT).
run: installed
	@$(VENV)/bin/python manage.py migrate --noinput -v0
	@$(STACK_VENV)/bin/python -m stack run --api-port $(API_PORT) -- \
		$(VENV)/bin/gunicorn --bind 127.0.0.1:$(API_PORT) --workers 2 --threads 8 $(WORKER_CLASS) \
		--no-control-socket --access-logfile - glance_rest.wsgi:application

# The API alone, against an existing cloud (set OPENSTACK_KEYSTONE_URL etc.).
serve: $(VENV)/.installed
	@$(VENV)/bin/python manage.py migrate --noinput -v0
	$(VENV)/bin/gunicorn --bind 127.0.0.1:$(API_PORT) --workers 2 --threads 8 $(WORKER_CLASS) \
		--no-control-socket --access-logfile - glance_rest.wsgi:application

# Debian's redis-server (sessions shared through Redis) and chromium (Horizon's
# JavaScript client in a real browser), for the tests.
system-deps:
	@command -v redis-server >/dev/null && test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server chromium >/dev/null; }

# The tiers in order: unit (no stack), api (the stack), browser (Chromium).
TEST_TIERS ?= tests/unit tests/api tests/browser

test: installed-all horizon system-deps
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) $(if $(PYTEST_ARGS),,$(TEST_TIERS))

# The fast tier alone: pure logic, no stack, no browser (seconds).
test-unit: installed
	$(VENV)/bin/python -m pytest -q tests/unit $(PYTEST_ARGS)

# The README's pictures of the images panel, taken by its tests in Chromium.
screenshots: installed system-deps
	PANEL_SCREENSHOTS=docs/screenshots $(VENV)/bin/python -m pytest -q tests/browser/test_panel.py -k readable

clean-stack:
	rm -rf .stack

# API vs direct Glance, in one run (see bench/run.py; BENCH_ARGS to change sizes);
# then the images panel beside Horizon's Images panel (bench/panel.py).
bench: installed-all horizon system-deps
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)
	$(VENV)/bin/python -m bench.panel $(BENCH_PANEL_ARGS)

# Only the panel beside Horizon's Images panel: 20 and 1,000 images, in Chromium.
bench-panel: installed-all horizon system-deps
	$(VENV)/bin/python -m bench.panel $(BENCH_PANEL_ARGS)

# Stock Horizon 27 against Horizon with this app mounted, in Chromium (bench/horizon.py).
bench-horizon: installed-all horizon system-deps
	$(VENV)/bin/python -m bench.horizon $(BENCH_HORIZON_ARGS)

# Only the 1 GiB upload/download through the API against glanceclient.
bench-data: installed
	$(VENV)/bin/python -m bench.run --data-only $(BENCH_ARGS)
