# Engage: `make run` for a local server with demo data, `make test` for the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
UV := $(BIN)/uv
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedded broker: Celery on kombu's filesystem transport, so reminders fire with no server.
RUN_BROKER ?= filesystem://
PYTEST_ARGS ?=

.PHONY: install test-deps run worker test test-sqlite lint format bench lock up down messages clean

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv>=0.9"
	@$(UV) pip install --quiet --python $(PY) --require-hashes -r requirements.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	@npm ci --silent --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed node_modules/.installed

# System packages the suite needs (Chromium, libical's bindings, gettext, docker-compose, npm):
# installed here when we are root on Debian, otherwise named with the command that installs them.
test-deps:
	@scripts/test-deps

run: $(VENV)/.installed
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py demo
	@$(PY) manage.py collectstatic --noinput -v 0
	@echo "Engage is starting on http://$(HOST):$(PORT)/  (mail lands in var/outbox/; Ctrl-C stops it)"
	@HOST=$(HOST) PORT=$(PORT) RUN_BROKER=$(RUN_BROKER) scripts/run-local

# The whole suite: everything but the real-Celery-worker tests in PYTEST_JOBS processes
# (pytest-xdist), then those one at a time (they share one Redis database). PYTEST_ARGS, when
# given, replaces both with a single plain pytest run: `make test PYTEST_ARGS=tests/engage`.
PYTEST_JOBS ?= 2
ifeq ($(strip $(PYTEST_ARGS)),)
define run_suite
	@$(1) $(BIN)/pytest -m "not worker" -n $(PYTEST_JOBS) --dist loadgroup
	@$(1) $(BIN)/pytest -m worker
endef
else
define run_suite
	@$(1) $(BIN)/pytest $(PYTEST_ARGS)
endef
endif

test: test-deps install
	$(call run_suite,)

# The same suite on the embedded SQLite database.
test-sqlite: test-deps install
	$(call run_suite,env -u DATABASE_URL)

lint: $(VENV)/.installed
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(VENV)/.installed
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

# Every bench/*.py; `make bench BENCH_ARGS=--quick` for a smoke run with small sizes.
BENCH_ARGS ?=
bench: install
	@$(PY) bench/run.py $(BENCH_ARGS)

# Re-resolve requirements.lock (everything, for development and CI) from pyproject.toml after
# adding or upgrading a dependency, and requirements.runtime.lock (the Docker image: no test or
# lint tools) pinned to the same versions.
UV_COMPILE := $(UV) pip compile --native-tls pyproject.toml \
	--generate-hashes --universal --python-version 3.12 --no-header -q
lock: $(VENV)/.installed
	@$(UV_COMPILE) --extra dev -o requirements.lock
	@$(UV_COMPILE) -c requirements.lock -o requirements.runtime.lock
	@$(UV) pip install --python $(PY) -r requirements.lock -q

up:
	docker compose up --build

down:
	docker compose down

messages: $(VENV)/.installed
	@$(PY) manage.py makemessages -l en_GB --no-location --ignore '.venv/*' --ignore 'node_modules/*' \
		--ignore 'staticfiles/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	@$(PY) manage.py compilemessages -l en_GB --ignore '.venv/*'

clean:
	rm -rf $(VENV) node_modules var staticfiles
