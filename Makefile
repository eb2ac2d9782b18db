# glance-rest: make run | make test | make serve | make bench
PYTHON ?= python3
VENV := .venv
STACK_VENV := .venv-stack
API_PORT ?= 8000
# JSON answers for what gunicorn refuses itself (e.g. 414); see glance_rest/gunicorn_worker.py.
WORKER_CLASS := --worker-class glance_rest.gunicorn_worker.ThreadWorker
# Development key handling (see settings/); set SECRET_KEY in production.
export GLANCE_REST_DEV ?= 1

.PRECIOUS: .venv-horizon-%/.installed build/horizon-%/static.stamp
.PHONY: run serve test test-unit bench bench-horizon bench-data venvs installed test-installed horizons every-horizon wheel \
	test-horizons test-floors test-deep apache-deps clean-stack system-deps screenshots bench-panel \
	bench-admin deb deb-deps test-deb test-distro-tiers test-kolla-python test-distros

venvs: $(VENV)/.installed $(STACK_VENV)/.installed

installed:
	@$(MAKE) --no-print-directory -j2 venvs

# What make test needs: the virtualenvs and Debian's packages, side by side.
test-installed:
	@$(MAKE) --no-print-directory -j3 venvs system-deps

# uv installs the two virtualenvs' pinned requirements, bytecode compiled as
# pip does: about 45 s instead of pip's 78 s with empty caches (the same
# versions; pip stays in each virtualenv, and Horizon's virtualenvs are pip's,
# as operators install). It trusts the system's certificate authorities, as
# pip here does.
UV_VERSION := 0.13.10
UV := build/uv/bin/uv
uv_install = $(UV) pip install -q --native-tls --compile-bytecode --python $(1)/bin/python

$(UV):
	rm -rf build/uv
	$(PYTHON) -m venv build/uv
	build/uv/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Reinstall only when the pinned requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-browser.txt constraints.txt | $(UV)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(call uv_install,$(VENV)) -c constraints.txt -r requirements.txt -r requirements-dev.txt
	$(call uv_install,$(VENV)) --no-deps -r requirements-browser.txt
	@touch $@

$(STACK_VENV)/.installed: requirements-stack.txt | $(UV)
	@test -x $(STACK_VENV)/bin/python || $(PYTHON) -m venv $(STACK_VENV)
	$(call uv_install,$(STACK_VENV)) -r requirements-stack.txt
	@touch $@

# --- Horizon, per maintained OpenStack release (horizons/README.md) -----------
# make test-horizons drives every release's Images panel; make test-deb loads
# the settings snippet in HORIZONS (those of Debian 13 and forky). (make test's
# Horizon JavaScript is the horizon package in .venv: requirements-browser.txt.)
HORIZON_RELEASES := 2025.1 2025.2 2026.1 2026.2
HORIZONS ?= 2025.1 2026.2
NEWEST_HORIZON := 2026.2
# The release's constraints reach pip's build environments too, as with
# OpenStack's own installs, plus setuptools<81 for Horizon 25.x's sdists.
horizon_pip = PIP_CONSTRAINT="$(CURDIR)/horizons/$(1).txt $(CURDIR)/horizons/build.txt" \
	.venv-horizon-$(1)/bin/pip --disable-pip-version-check

# Horizon from PyPI under its release's constraints, then pip freeze: what an
# operator's Horizon holds before glance-rest joins it (test_horizon_install.py).
.venv-horizon-%/.installed: horizons/%.txt horizons/serve.txt horizons/build.txt
	rm -rf .venv-horizon-$*
	$(PYTHON) -m venv .venv-horizon-$*
	$(call horizon_pip,$*) install -q horizon -r horizons/serve.txt
	$(call horizon_pip,$*) freeze --all > .venv-horizon-$*/horizon-freeze.txt
	@touch $@

# django-admin with Horizon's site settings (stack/horizon_site/). collectstatic
# and compress sign nothing and keep no cache: a throwaway key and cache folder.
horizon_admin = PYTHONPATH=$(CURDIR) DJANGO_SETTINGS_MODULE=stack.horizon_site.settings \
	SECRET_KEY=build-only HORIZON_DATA_DIR=$(CURDIR)/build/horizon-$(1)/cache \
	HORIZON_STATIC_ROOT=$(CURDIR)/build/horizon-$(1)/static .venv-horizon-$(1)/bin/django-admin
# The offline manifest holds WEBROOT and STATIC_URL, so one per web root served.
HORIZON_WEBROOTS := / /dashboard/

# Horizon's static files, collected and compressed offline once per release
# (its pages cannot render without), served by WhiteNoise or Apache.
build/horizon-%/static.stamp: .venv-horizon-%/.installed stack/horizon_site/settings.py
	rm -rf build/horizon-$*/static build/horizon-$*/cache
	$(call horizon_admin,$*) collectstatic --noinput -v0
	for root in $(HORIZON_WEBROOTS); do \
		HORIZON_WEBROOT=$$root $(call horizon_admin,$*) compress --force -v0 || exit 1; done
	rm -rf build/horizon-$*/cache
	@touch $@

# This checkout's wheel, built once per make run (the code changes more often
# than make could tell; setuptools' build/lib would keep deleted modules).
wheel: $(VENV)/.installed
	rm -rf build/lib build/dist
	$(VENV)/bin/pip wheel -q --disable-pip-version-check --no-deps -w build/dist .

# The wheel installed into a release's Horizon as an operator installs it:
# under that release's constraints, with its dependencies.
horizon-%: build/horizon-%/static.stamp wheel
	@$(MAKE) --no-print-directory wheel-into-$*

wheel-into-%:
	$(call horizon_pip,$*) install -q build/dist/glance_rest-*.whl
	$(call horizon_pip,$*) install -q --force-reinstall --no-deps build/dist/glance_rest-*.whl

# The releases in HORIZONS: every virtualenv and static files two at a time
# (2 cores), then this checkout's wheel into each Horizon.
horizons:
	@$(MAKE) --no-print-directory -j2 venvs $(HORIZONS:%=build/horizon-%/static.stamp)
	@$(MAKE) --no-print-directory wheel
	@$(MAKE) --no-print-directory -j2 $(HORIZONS:%=wheel-into-%)

# The embedded Keystone + Glance stack, then the API on 127.0.0.1:$(API_PORT).
# gunicorn reads ./gunicorn.conf.py: its access log has no query string.
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

# Debian's Apache 2.4, mod_wsgi (built for Python 3.11) and memcached: Horizon
# as distributions deploy it, for make test-horizons.
apache-deps:
	@command -v apache2 >/dev/null && test -f /usr/lib/apache2/modules/mod_wsgi.so && \
		command -v memcached >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq apache2 libapache2-mod-wsgi-py3 memcached >/dev/null; }

# The tiers in order: unit (no stack), api (the stack), browser (Chromium):
# this app's own panel and Horizon 27's JavaScript client. Horizon's
# whole Images panel, every release, is make test-horizons (CI runs it).
# The long suites have a target of their own (CI runs it after make test):
# schemathesis' contract run, as a member and as an administrator (its
# coverage phase and generated examples: several minutes each) and the fault
# injection, which stops and restarts a stack of its own; the proxies from the
# environment (API servers of its own), one metadefs import beside a large one
# (about a minute here), the API as several processes and hosts share it
# (Redis, PostgreSQL), pip installing the wheel into a new virtualenv, and
# the development stack's own checks (eight Glance clients at once).
DEEP_TESTS := tests/api/test_openapi.py tests/api/test_faults.py tests/api/test_proxies.py \
	tests/api/test_import_fairness.py tests/api/test_processes.py tests/api/test_install.py \
	tests/api/test_stack.py
# A schemathesis run keeps one core busy: the administrator's runs in a lane
# of its own beside the rest, both on one stack (stack/lanes.py); then the
# fault injection and the stack's own checks alone, on their stack (one stack
# at a time).
# The first lane is what DEEP_TESTS holds beyond the others: nothing is left out.
ADMIN_CONTRACT := tests/api/test_openapi.py::test_api_conforms_for_an_administrator
# The development stack's own checks run alone too: beside a contract run, its
# eight Glance clients at once once met a connection reset by Glance.
ADMIN_LANE := tests/api/test_import_fairness.py
DEEP_ALONE := tests/api/test_faults.py tests/api/test_stack.py
DEEP_LANES := $(filter-out $(ADMIN_LANE) $(DEEP_ALONE),$(DEEP_TESTS)) --deselect=$(ADMIN_CONTRACT) \
	-- $(ADMIN_CONTRACT) $(ADMIN_LANE)
HORIZON_TESTS := tests/api/test_horizon_install.py tests/browser/test_inside_horizon.py
# The unit and API tiers wait on the stack more than they compute (one core
# busy), so they run in two lanes on one stack (stack/lanes.py; make test and
# make test-distro-tiers). The first lane holds the unit tier and the tests
# that change or compare whole metadefs listings; the second is the rest of
# tests/api, so nothing is left out. make test then runs the browser tier
# alone on the same stack.
API_LANE := tests/api/test_api_metadefs_admin.py tests/api/test_api_listing.py \
	tests/api/test_api_real_clouds.py tests/api/test_api_stores.py tests/api/test_hostile.py
TIER_LANES := tests/unit $(API_LANE) -- tests/api $(API_LANE:%=--ignore=%)
NOT_MAKE_TEST := $(DEEP_TESTS:%=--ignore=%) $(HORIZON_TESTS:%=--ignore=%)
TEST_LANES := $(TIER_LANES) $(NOT_MAKE_TEST) --then tests/browser $(NOT_MAKE_TEST)

test: test-installed
ifeq ($(PYTEST_ARGS),)
	$(VENV)/bin/python -m stack.lanes $(TEST_LANES)
else
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
endif

test-deep: $(VENV)/.installed $(STACK_VENV)/.installed system-deps
ifeq ($(PYTEST_ARGS),)
	$(VENV)/bin/python -m stack.lanes $(DEEP_LANES)
	$(VENV)/bin/python -m pytest $(DEEP_ALONE)
else
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
endif

# Every maintained release's Horizon: installed under its constraints, and its
# Images panel in Chromium with this app mounted (CI runs it after make test).
# The oldest and the newest also under Apache, mod_wsgi and memcached.
HORIZONS_APACHE ?= 2025.1 2026.2
test-horizons: system-deps apache-deps every-horizon
	HORIZONS="$(HORIZON_RELEASES)" HORIZONS_APACHE="$(HORIZONS_APACHE)" \
		$(VENV)/bin/python -m pytest $(PYTEST_ARGS) \
		$(if $(PYTEST_ARGS),,$(HORIZON_TESTS) tests/horizons)

# Every maintained release's Horizon built (.ci/run builds them beforehand,
# while other suites run).
every-horizon:
	@$(MAKE) --no-print-directory horizons HORIZONS="$(HORIZON_RELEASES)"

# Debian's own Horizon (openstack-dashboard-apache, memcached) on Debian 13
# (trixie) and Debian testing (forky), each in a debootstrap chroot kept as
# build/distros/SUITE.tar between runs (stack/distros.py; rebuilt when absent):
# this checkout's Debian package (make deb) installed there with apt, and the
# whole of test_inside_horizon.py through Debian's Apache site at /horizon.
DISTROS ?= trixie forky
test-distros: $(VENV)/.installed $(STACK_VENV)/.installed system-deps deb
	$(VENV)/bin/python -m stack.distros build $(DISTROS)
	HORIZONS= HORIZON_DISTROS="$(DISTROS)" $(VENV)/bin/python -m pytest $(PYTEST_ARGS) \
		$(if $(PYTEST_ARGS),,tests/distros/test_chroot.py tests/browser/test_inside_horizon.py)
	@cat $(DISTROS:%=build/distros/%.versions)

# The unit and API tiers on the declared floors (floors.txt: 2025.1's pins of
# Django, keystoneauth1, glanceclient, urllib3, requests, ...) with the test tools.
FLOORS_VENV := .venv-floors
$(FLOORS_VENV)/.installed: floors.txt setup.cfg requirements-dev.txt
	rm -rf $(FLOORS_VENV)
	$(PYTHON) -m venv $(FLOORS_VENV)
	PIP_CONSTRAINT="$(CURDIR)/floors.txt" $(FLOORS_VENV)/bin/pip install -q \
		--disable-pip-version-check ".[server]" -r requirements-dev.txt
	# The checkout itself is what runs (the dependencies above are what count).
	$(FLOORS_VENV)/bin/pip uninstall -q -y glance-rest
	@touch $@

test-floors: installed $(FLOORS_VENV)/.installed system-deps
	APP_VENV_BIN=$(CURDIR)/$(FLOORS_VENV)/bin $(FLOORS_VENV)/bin/python -m pytest $(PYTEST_ARGS) \
		$(if $(PYTEST_ARGS),,tests/unit tests/api --ignore tests/api/test_install.py \
		--ignore tests/api/test_horizon_install.py)

# Debian's packaging tools, from apt (the host is Debian 12; the package is
# built for Debian 13 and later: debian/control).
DEB_TOOLS := debhelper dh-python pybuild-plugin-pyproject python3-all python3-setuptools lintian
deb-deps:
	@test "$$(dpkg-query -W -f='$${db:Status-Abbrev}\n' $(DEB_TOOLS) 2>/dev/null | grep -c '^ii')" = \
		$(words $(DEB_TOOLS)) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq -o DPkg::Lock::Timeout=300 $(DEB_TOOLS) >/dev/null; }

# python3-glance-rest_VERSION_all.deb (debian/; docs/horizon.md) in build/deb/,
# built from a copy of the checkout's files (tracked and new, not ignored) so
# that nothing of the build lands in the checkout.
deb: deb-deps
	rm -rf build/deb
	mkdir -p build/deb/src
	git ls-files -z -c -o --exclude-standard -- debian glance_rest setup.cfg pyproject.toml README.md \
		docs/horizon.md | xargs -0 cp --parents -t build/deb/src
	# Debian's own Python and tools only (not a pyenv's or a virtualenv's first on PATH).
	cd build/deb/src && env -u PYTHONPATH -u VIRTUAL_ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		dpkg-buildpackage -us -uc -b
	lintian --fail-on error build/deb/*.changes

# The package's checks (tests/distros/test_deb.py): builds it (make deb), reads
# it back, and loads its settings snippet in the Horizons of Debian 13 (2025.1)
# and forky (2026.2) from PyPI, with the app's dependencies installed there
# (make horizons: the wheel into each, as an operator installs it).
test-deb: horizons
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) $(if $(PYTEST_ARGS),,tests/distros/test_deb.py)

# The unit and API tiers on Debian 13's Python 3.13 and forky's 3.14, each on
# that distribution's own packages: pytest and the API it serves in a chroot of
# the suite (stack/distros.py, kept as build/distros/SUITE.tar), the stack on
# the host's loopback (stack/distro_tiers.py), in make test's two lanes. As root
# (chroot, mount).
DISTRO_SUITES ?= trixie forky
test-distro-tiers: $(VENV)/.installed $(STACK_VENV)/.installed
	$(VENV)/bin/python -m stack.distro_tiers $(DISTRO_SUITES) -- $(or $(PYTEST_ARGS),$(TIER_LANES))

# kolla's Debian images: each release's Horizon from PyPI under its
# constraints on Debian 13's Python 3.13 (a trixie chroot), then this
# checkout's wheel; tests/api/test_horizon_install.py checks each as it checks
# the host's 3.11 ones (pip check clean, no package changed). As root.
KOLLA_HORIZONS ?= 2026.1 2026.2
test-kolla-python: wheel
	$(VENV)/bin/python -m stack.distro_tiers kolla $$(ls build/dist/glance_rest-*.whl) \
		$(KOLLA_HORIZONS) $(if $(PYTEST_ARGS),-- $(PYTEST_ARGS))

# The fast tier alone: pure logic, no stack, no browser (seconds).
test-unit: installed
	$(VENV)/bin/python -m pytest -q tests/unit $(PYTEST_ARGS)

# The README's pictures of the images panel, taken by its tests in Chromium.
screenshots: installed system-deps
	PANEL_SCREENSHOTS=docs/screenshots $(VENV)/bin/python -m pytest -q tests/browser/test_panel.py tests/browser/test_panel_admin.py -k readable

clean-stack:
	rm -rf .stack

# API vs direct Glance, in one run (see bench/run.py; BENCH_ARGS to change sizes);
# then the images panel beside Horizon's Images panel (bench/panel.py).
bench: installed horizon-$(NEWEST_HORIZON) system-deps
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)
	$(VENV)/bin/python -m bench.panel $(BENCH_PANEL_ARGS)
	$(VENV)/bin/python -m bench.admin $(BENCH_ADMIN_ARGS)
	$(VENV)/bin/python -m bench.orphans $(BENCH_ORPHANS_ARGS)

# Only the administrator's side: importing Glance's shipped metadefs (API against
# glanceclient), every project's images beside Horizon's Admin > Images, and the
# orphaned filter over 20,000 images against listing everything by hand
# (bench/orphans.py; BENCH_ORPHANS_ARGS="--images 2000" for a quick run).
bench-admin: installed horizon-$(NEWEST_HORIZON) system-deps
	$(VENV)/bin/python -m bench.admin $(BENCH_ADMIN_ARGS)
	$(VENV)/bin/python -m bench.orphans $(BENCH_ORPHANS_ARGS)

# Only the panel beside Horizon's Images panel: 20 and 1,000 images, in Chromium.
bench-panel: installed horizon-$(NEWEST_HORIZON) system-deps
	$(VENV)/bin/python -m bench.panel $(BENCH_PANEL_ARGS)

# A release's stock Horizon against the same with this app mounted, in Chromium (bench/horizon.py).
# make bench-horizon RELEASE=2025.1 [BENCH_HORIZON_ARGS=--apache]
RELEASE ?= $(NEWEST_HORIZON)
bench-horizon: installed horizon-$(RELEASE) system-deps apache-deps
	$(VENV)/bin/python -m bench.horizon --release $(RELEASE) $(BENCH_HORIZON_ARGS)

# Only the 1 GiB upload/download through the API against glanceclient.
bench-data: installed
	$(VENV)/bin/python -m bench.run --data-only $(BENCH_ARGS)
