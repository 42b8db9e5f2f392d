# leapdash: the canonical commands. README and CI call these and nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
DEMO_ENV := leapdash/profiles/demo.env

.PHONY: setup demo test e2e lint format worker beat bench bench-quick chromium clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "leapdash needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

# The server starts first; the demo data is then synced from the embedded sandbox over HTTP,
# as the hourly jobs would do, and the login is printed again once the tables are filled.
demo: export ENV_FILE = $(DEMO_ENV)
demo: $(STAMP)
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

worker: $(STAMP)
	$(BIN)/celery -A leapdash worker --loglevel=INFO

# Run exactly one beat process per deployment.
beat: $(STAMP)
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
