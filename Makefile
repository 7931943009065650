# Two commands matter (see README.md): `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test fuzz lint format migrate worker beat clean bench bench-dashboard bench-catalogue

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

## Install, migrate, load demo data and serve the API on http://$(HOST):$(PORT)
run: migrate
	$(BIN)/python manage.py seed_demo
	HOST=$(HOST) PORT=$(PORT) scripts/run-dev.sh

## The whole test suite (SQLite and local memory unless DATABASE_URL / REDIS_URL are set)
test: install
	$(BIN)/pytest

## A longer fuzz run of the API from its schema than the one in `make test` (tests/test_api_fuzz.py)
FUZZ_MAX_EXAMPLES ?= 50
FUZZ_SEED ?= 11
fuzz: install
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/pytest tests/test_api_fuzz.py -p no:cacheprovider -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Celery worker and beat (need REDIS_URL; without it tasks run in-process)
worker: install
	$(BIN)/celery -A titanobova_project worker --loglevel=INFO

beat: install
	$(BIN)/celery -A titanobova_project beat --loglevel=INFO

## Benchmarks (need PostgreSQL, Redis and `wrk`; figures go to docs/PERFORMANCE.md)
bench: install
	$(BIN)/python -m benchmarks.load

bench-dashboard: install
	$(BIN)/python -m benchmarks.dashboard

bench-catalogue: install
	$(BIN)/python -m benchmarks.course_list

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
