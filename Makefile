# Jiangxin. `make run` and `make test` do every set-up step themselves (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
SETUP := deploy/local/setup.sh
# Extra pytest arguments of both parts of make test, e.g. make test PYTEST_ARGS='-x tests/enrollment'
PYTEST_ARGS ?=
PYTEST := $(PY) -m pytest -p no:cacheprovider -p deploy.local.pytest_no_skips
# Processes of the parallel part of make test; the tests marked below run after it, alone.
WORKERS ?= 2
SERIAL := browser or e2e or faults or serial
# A marker expression both parts also apply, e.g. make test MARKS='not faults'
MARKS ?=
AND_MARKS := $(if $(MARKS), and ($(MARKS)))
# Processes of every service that `make run` starts (make run SCALE=2), behind one gateway.
SCALE ?= 1
PRIVATE := deploy/local/private-servers.sh
# The benchmarks `make bench` runs (the other bench/ modules are their servers and helpers).
BENCHES := backbone enrollment_bench hot_row certification_bench notification_bench lottery_bench pipeline password_flood catalogue_bench

# The static checks of `make lint`, also run by `make test`: Python (ruff, mypy) and the web
# front's ES modules (tsc on their JSDoc types, eslint; configured in web/).
define LINT
$(VENV)/bin/ruff check .
$(VENV)/bin/mypy
cd web && npm run --silent lint
endef

# requirements/*.lock: app.lock (the image: runtime only) and dev.lock (make's venv: runtime, test,
# dev and bench), every pin with its hashes, for Python 3.11 on any platform.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --no-emit-package pip --quiet --custom-compile-command "make lock"

.PHONY: help run test test-long lint audit lock bench gateway-config k8s-topology clean distclean

help:
	@echo "make run        set up, then run the platform at http://localhost:8080 (Ctrl-C stops it)"
	@echo "make test       set up, then the checks of make lint and the whole pytest suite"
	@echo "make test-long  the platform twice over on private servers, under load and faults (~22 min)"
	@echo "make lint       ruff and mypy; tsc and eslint on web/"
	@echo "make audit      pip-audit on requirements/*.lock (also part of make test)"
	@echo "make lock       bring requirements/*.lock in line with pyproject.toml (LOCK_ARGS=--upgrade: newest)"
	@echo "make bench      run every runnable bench/*.py (takes minutes)"
	@echo "make gateway-config  regenerate deploy/nginx/nginx.conf from deploy/routes.py"
	@echo "make k8s-topology    regenerate deploy/k8s/base/rabbitmq-topology.yaml from the subscriptions"
	@echo "make clean      remove caches and generated files (keeps .venv and var/keys)"
	@echo "make distclean  also remove .venv, var/ and web/node_modules"

run:
	@$(SETUP) run
	@exec $(PY) -m deploy.local.run --scale $(SCALE)

# `make test` runs the suite in two parts: first the tests that share nothing with each other,
# WORKERS at a time (pytest-xdist; a test file stays in one worker); then, one at a time, those
# that drive browsers, start whole platforms or private servers, or stop the shared servers.
# A part with nothing selected (PYTEST_ARGS naming a few files) counts as passed.
test:
	@$(SETUP) test
	$(LINT)
	$(PY) -m deploy.audit
	@status=0; \
	$(PYTEST) -n $(WORKERS) --dist loadfile -m "not ($(SERIAL))$(AND_MARKS)" $(PYTEST_ARGS) || \
	    { code=$$?; ((code == 5)) || status=$$code; }; \
	$(PYTEST) -m "($(SERIAL))$(AND_MARKS)" $(PYTEST_ARGS) || { code=$$?; ((code == 5)) || status=$$code; }; \
	exit $$status

# Tests marked `long` (left out of `make test`) against a private PostgreSQL and RabbitMQ that
# the tests start and stop themselves; stopped here again whatever happened to pytest.
test-long:
	@$(SETUP) long
	@status=0; $(PYTEST) -m long \
	    $(PYTEST_ARGS) || status=$$?; $(PRIVATE) stop; exit $$status

lint:
	@$(SETUP) lint
	$(LINT)

# Known vulnerabilities in the locked versions; says loudly what it could not check (offline).
audit:
	@$(SETUP) lint
	$(PY) -m deploy.audit

# Keeps every pin pyproject.toml still allows; LOCK_ARGS=--upgrade moves all to the newest allowed,
# LOCK_ARGS='--upgrade-package aiohttp' one. The next make installs the new lock.
LOCK_ARGS ?=
lock:
	@$(SETUP) lint
	@mkdir -p requirements
	$(LOCK) $(LOCK_ARGS) -o requirements/app.lock
	$(LOCK) $(LOCK_ARGS) --extra dev --extra bench -o requirements/dev.lock

bench:
	@$(SETUP) bench
	@for name in $(BENCHES); do \
	    echo "==> bench/$$name.py"; $(PY) -m "bench.$$name" || exit 1; \
	done

gateway-config:
	@$(SETUP) lint
	$(PY) -m deploy.gateway production

k8s-topology:
	@$(SETUP) lint
	$(PY) -m deploy.k8s_topology

clean:
	rm -rf var/nginx var/run .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) var web/node_modules
