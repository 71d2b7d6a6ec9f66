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

.PHONY: install run worker test test-sqlite lint format bench up down messages clean

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv>=0.9"
	@$(UV) pip install --quiet --python $(PY) --require-hashes -r requirements.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	@npm ci --silent --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: $(VENV)/.installed
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py demo
	@$(PY) manage.py collectstatic --noinput -v 0
	@echo "Engage is starting on http://$(HOST):$(PORT)/  (mail lands in var/outbox/; Ctrl-C stops it)"
	@trap 'kill 0' INT TERM EXIT; \
	CELERY_BROKER_URL=$(RUN_BROKER) $(BIN)/celery -A config worker -B -Q default,mail \
		--concurrency 2 --loglevel WARNING --schedule var/celerybeat-schedule & \
	CELERY_BROKER_URL=$(RUN_BROKER) $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@$(BIN)/pytest $(PYTEST_ARGS)

# The same suite on the embedded SQLite database.
test-sqlite: install
	@env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(VENV)/.installed
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

bench: install
	@$(PY) bench/run.py

up:
	docker compose up --build

down:
	docker compose down

messages: $(VENV)/.installed
	@$(PY) manage.py makemessages -l en_GB --ignore '.venv/*' --ignore 'node_modules/*'

clean:
	rm -rf $(VENV) node_modules var staticfiles
