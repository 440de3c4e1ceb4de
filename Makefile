# Two commands for a newcomer: `make run` and `make test`. Everything else is a detail.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
SANDBOX_PORT ?= 8090
export CARRIER_SANDBOX_URL ?= http://127.0.0.1:$(SANDBOX_PORT)
STAMP := $(VENV)/.installed
# The suite runs on one pytest-xdist worker per core (at most 4; PYTEST_WORKERS=0 for one
# process), each with its own test database and Redis database (tms_gateway/settings/test.py);
# a module's real-Celery-worker tests stay together (tests/conftest.py). The fault drill
# (marker `serial`) then runs alone.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadgroup

.PHONY: run test test-fast lint typecheck pytest install migrate seed clean browser bench fuzz faults deploy-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## make run: set up and serve the gateway with the demo shop (SQLite unless DATABASE_URL is set),
## the carrier sandbox on SANDBOX_PORT (the demo shop's carrier agreements call it) and a Celery
## worker with beat (Redis when REDIS_URL is set, else a broker in files under var/celery).
run: seed
	@mkdir -p var/celery/queue var/celery/control
	@$(BIN)/python manage.py ksa_banner --base-url http://$(HOST):$(PORT)/ksa/v1
	@$(BIN)/python manage.py carrier_sandbox --port $(SANDBOX_PORT) & SANDBOX=$$!; \
	$(BIN)/celery -A tms_gateway worker --beat --pool threads --concurrency 4 --loglevel INFO \
		--schedule var/celery/beat-schedule > var/celery/worker.log 2>&1 & WORKER=$$!; \
	echo "Celery worker and beat running (log: var/celery/worker.log)"; \
	trap 'kill $$SANDBOX $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

## Browser tests drive Debian's chromium (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

## make test: ruff, mypy and the whole suite against PostgreSQL and Redis
test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not serial"
	$(BIN)/python -m pytest -q -m serial

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

pytest: install
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "not serial"
	$(BIN)/python -m pytest -q -m serial

## make test-fast: the suite without the slow kinds (browser, worker, process, fuzz), in
## parallel, keeping the test databases between runs (--reuse-db: new migrations are applied,
## `--create-db` starts afresh); `make test` still runs everything.
test-fast: install
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) --reuse-db -m "not slow"

## make bench: load gunicorn + carrier sandbox (PostgreSQL and Redis needed); var/bench.json.
## The scenarios, then a 10-minute soak (memory and latency over time): BENCH_SOAK_SECONDS=120
## to shorten it, 0 to skip it; only the soak: .venv/bin/python -m tms_gateway.devtools.bench
## --scenarios soak
bench: install
	$(BIN)/python -m tms_gateway.devtools.bench

## make faults: the gateway, worker, beat and sandbox on a PostgreSQL and Redis of their own,
## broken one part at a time under checkouts (carriers, Redis, PostgreSQL, the worker during
## 1,000 bookings); var/faults.json
faults: install
	$(BIN)/python -m tms_gateway.devtools.faults

## make deploy-check: build the image (deploy/Dockerfile) from what is committed, run the compose
## stack with the carrier sandbox, seed a shop, a whole checkout from outside booked by the worker
## container, SIGTERM to web mid-request, the worker killed mid-booking, then compose down -v.
## Starts a Docker engine and builds base images from Debian packages where no registry answers.
deploy-check: install
	$(BIN)/python -m tms_gateway.devtools.deploy_check

## make fuzz: schemathesis against every callback operation in-process, as the demo shop
## (PostgreSQL and Redis needed); FUZZ_EXAMPLES examples per operation (default 200)
fuzz: install
	$(BIN)/python -m tms_gateway.devtools.fuzz

clean:
	rm -rf $(VENV) var/db.sqlite3 var/db.sqlite3-wal var/db.sqlite3-shm
