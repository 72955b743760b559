# RPA Tracker. `make run` and `make test` do all the set-up they need on a fresh machine
# with Python >= 3.11 and make. See README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k csv -x"`.
PYTEST_ARGS ?=
# The suite runs on every core (pytest-xdist); tests that share Redis stay in one worker.
# `make test WORKERS=0` runs it in one process.
WORKERS ?= auto

# Management commands that fill the embedded database, in this order. A command that does
# not exist in this checkout is reported and skipped, so the list can name commands that
# are still being written.
# make_progress_summaries shows the summaries at once; the worker's beat keeps them current.
SEED_COMMANDS ?= load_reference_data load_demo_data make_progress_summaries

# The embedded default: DEBUG on gives SQLite under var/, console e-mail and a broker in
# local files; links in e-mails point at the address `make run` serves on. Variables already
# set in the environment win.
RUN_ENV := DEBUG=$${DEBUG:-1} SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}

# Re-installs only when pyproject.toml changes (or the virtualenv is new).
INSTALL_STAMP := $(VENV)/.installed

.PHONY: help venv install var-dirs run seed worker axe-core test lint fmt migrations-check check-deploy clean \
	bench bench-suite load

help:
	@echo "make run               set up, load reference and demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test              set up and run the whole test suite"
	@echo "make lint              ruff check, ruff format --check, the layer contract and mypy"
	@echo "make fmt               ruff format and ruff check --fix"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make check-deploy      Django's deployment checks with the current environment"
	@echo "make bench             benchmark of the regional view on PostgreSQL (SIZES=S: quick)"
	@echo "make bench-suite       the test suite now beside the suite before its rework, side by side"
	@echo "make load              20 users for 60 s against gunicorn on PostgreSQL (size S)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python >= 3.11 is needed; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

$(INSTALL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(INSTALL_STAMP)

var-dirs:
	@mkdir -p var/broker/processed var/broker/control var/media

seed: install var-dirs
	$(RUN_ENV) $(MANAGE) migrate --noinput
	@for command in $(SEED_COMMANDS); do \
		if $(RUN_ENV) $(MANAGE) help $$command >/dev/null 2>&1; then \
			echo "$(MANAGE) $$command"; \
			$(RUN_ENV) $(MANAGE) $$command || exit 1; \
		else \
			echo "(skipped: no management command '$$command' in this checkout)"; \
		fi; \
	done

# Runs in the foreground: a Celery worker with embedded beat, for the periodic jobs.
worker: install var-dirs
	$(RUN_ENV) $(BIN)/celery -A rpa_tracker worker --beat --pool=solo \
		--schedule=var/celerybeat-schedule --loglevel=INFO

# The worker (with beat) runs in the background, logging to var/celery.log, and stops
# when the web server stops.
run: seed
	@echo "Celery worker and beat: log in var/celery.log"
	@export $(RUN_ENV); \
	$(BIN)/celery -A rpa_tracker worker --beat --pool=solo \
		--schedule=var/celerybeat-schedule --loglevel=INFO >>var/celery.log 2>&1 & \
	worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

# axe-core, the accessibility checker the browser tests inject into each page: installed for
# the tests only (under var/, never served), when npm is there. Without it those checks skip
# (fail under RPA_REQUIRE_SERVICES=1).
AXE_CORE_VERSION := 4.10.3
AXE_CORE_DIR := var/test-tools

axe-core:
	@if [ -f $(AXE_CORE_DIR)/node_modules/axe-core/package.json ] \
		&& grep -q '"version": "$(AXE_CORE_VERSION)"' $(AXE_CORE_DIR)/node_modules/axe-core/package.json; then :; \
	elif command -v npm >/dev/null 2>&1; then \
		mkdir -p $(AXE_CORE_DIR) && npm install --no-save --no-audit --no-fund --prefix $(AXE_CORE_DIR) \
			axe-core@$(AXE_CORE_VERSION) || echo "axe-core could not be installed: accessibility checks will be skipped"; \
	else \
		echo "npm not found: the accessibility checks (axe-core) will be skipped"; \
	fi

test: install axe-core
	$(BIN)/pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	$(RUN_ENV) $(MANAGE) makemigrations --check --dry-run

# The benchmark (docs/performance.md): PostgreSQL from DATABASE_URL (default below; one
# database per size is made next to it, e.g. rpa_bench_s). `make bench SIZES=S REPEAT=1` is
# quick; SKIP=csv,jobs leaves parts out; CSV_SIZE=CSV1M exports a million history rows.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/rpa_bench
SIZES ?=
REPEAT ?=
SKIP ?=
CSV_SIZE ?=
BENCH_ENV = DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} SIZES=$(SIZES) REPEAT=$(REPEAT) \
	SKIP=$(SKIP) CSV_SIZE=$(CSV_SIZE)

bench: install
	$(BENCH_ENV) $(BIN)/python -m bench

# The test suite now beside the suite before its rework (bench/suite.py), on SQLite.
ROUNDS ?= 3
bench-suite: install axe-core
	$(BIN)/python -m bench.suite --rounds $(ROUNDS)

# 20 users for 60 s against gunicorn (DEBUG=0, loopback only) on the benchmark's size S.
LOAD_ARGS ?=
load: install
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python -m bench.load $(LOAD_ARGS)

# Uses the environment as it is: set production-like values first (see .ci/run).
check-deploy: install
	$(MANAGE) check --deploy --fail-level WARNING

clean:
	rm -rf var/static var/broker var/celerybeat-schedule* var/celery.log
