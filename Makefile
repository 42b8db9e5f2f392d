# leapdash: the canonical commands. README and CI call these and nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
DEMO_ENV := leapdash/profiles/demo.env
# Exact versions with hashes, compiled from pyproject.toml by `make lock`: the runtime set for
# the demo and `make up`, the dev set (runtime + tests and lint) for everything else.
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed-dev

.PHONY: setup demo test e2e lint format worker beat bench bench-quick chromium clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "leapdash needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): $(RUNTIME_LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(RUNTIME_LOCK)
	touch $@

# the dev set pins the runtime packages to the same versions, so it satisfies both stamps
$(STAMP): $(DEV_LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	touch $@ $(RUNTIME_STAMP)

# A fresh clone needs nothing set: the development profile (DEBUG, its own database, created
# when missing). A real ENV_FILE still wins.
setup: export ENV_FILE ?= leapdash/profiles/dev.env
setup: $(STAMP)
	$(BIN)/python manage.py ensure_database
	$(BIN)/python manage.py migrate --noinput

# The server starts first; the demo data is then synced from the embedded sandbox over HTTP,
# as the hourly jobs would do, and the login is printed again once the tables are filled.
demo: export ENV_FILE = $(DEMO_ENV)
demo: $(RUNTIME_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	@$(BIN)/python manage.py runserver --noreload 127.0.0.1:8000 & server=$$!; \
	trap 'kill $$server 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py demo_sync && printf '\n  leapdash demo ready: http://127.0.0.1:8000/  user demo  password leapdash-demo\n\n'; \
	wait $$server

# The whole suite on the real PostgreSQL, Redis and Chromium. pytest's exit code 5 (no tests
# collected) is a failure, not a pass.
test: $(STAMP) chromium
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests ran" >&2; exit 1; fi; exit $$rc

e2e: $(STAMP) chromium
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

lint: export ENV_FILE = leapdash/profiles/test.env
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: $(RUNTIME_STAMP)
	$(BIN)/celery -A leapdash worker --loglevel=INFO

# Run exactly one beat process per deployment.
beat: $(RUNTIME_STAMP)
	$(BIN)/celery -A leapdash beat --loglevel=INFO

# Benchmarks (not tests): ratios measured in one run, printed and written to
# bench/results/latest.json. Their databases are named after DATABASE_URL's (default
# leapdash_bench_*) and reused while their seed parameters match; bench-quick is 1/10 scale.
bench: export ENV_FILE = leapdash/profiles/test.env
bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-quick: export ENV_FILE = leapdash/profiles/test.env
bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick

chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Debian's 'chromium' package at $(CHROMIUM): run 'sudo apt-get install chromium'." >&2; exit 1; \
	fi; \
	test -x "$(CHROMIUM)" || { echo "chromium is still missing at $(CHROMIUM)" >&2; exit 1; }

clean:
	rm -rf $(VENV) staticfiles test-results demo.sqlite3

# A bounded load test of the connections table on 127.0.0.1 (the suite runs a 10 s variant).
.PHONY: load
load: export ENV_FILE = leapdash/profiles/test.env
load: $(STAMP)
	LOAD_ROWS=100000 LOAD_CLIENTS=20 LOAD_SECONDS=60 $(BIN)/pytest -s \
		tests/reliability/test_load.py

# leapdash as production runs it, on this machine: gunicorn, one Celery worker and exactly one
# beat (Procfile, run by honcho; Ctrl-C stops all three) on the local PostgreSQL and Redis,
# with the local profile (plain HTTP, the sandbox as Leap, beat every minute). The database is
# created when missing and the demo data seeded once. UP_PORT picks another port.
UP_PORT ?= 8000
.PHONY: up
up: export ENV_FILE ?= leapdash/profiles/local.env
up: export LEAPDASH_PORT = $(UP_PORT)
up: export PATH := $(abspath $(BIN)):$(PATH)
ifneq ($(UP_PORT),8000)
up: export LEAP_API_BASE_URL ?= http://127.0.0.1:$(UP_PORT)/sandbox/api
up: export LEAP_CONNECT_BASE_URL ?= http://127.0.0.1:$(UP_PORT)/sandbox/connect
up: export LEAP_DIRECT_BASE_URL ?= http://127.0.0.1:$(UP_PORT)/sandbox/direct
endif
up: $(RUNTIME_STAMP)
	$(BIN)/python manage.py ensure_database
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo_setup
	@printf '\n  leapdash: http://127.0.0.1:$(UP_PORT)/  (health: /healthz, /readyz)  Ctrl-C stops it\n\n'
	$(BIN)/honcho start --env /dev/null --procfile Procfile

# Re-resolve the lock files from pyproject.toml (LOCK_ARGS=--upgrade to move every pin).
LOCK_ARGS ?=
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
.PHONY: lock
lock: $(STAMP)
	$(PIP_COMPILE) --output-file $(RUNTIME_LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint $(RUNTIME_LOCK) --output-file $(DEV_LOCK) pyproject.toml
