# ejia — the two commands a newcomer needs are `make run` and `make test` (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/ejia_test
# Where `make run` listens: this machine only, unless told (`make run HOST=0.0.0.0`); the console SMS
# backend of the dev settings hands a sign-in code to whoever asks, so keep it off shared networks.
HOST ?= 127.0.0.1
PORT ?= 8000
# Scratch database of the migration check (give your own when several checkouts lint at once).
ALEMBIC_CHECK_DB ?= /tmp/ejia-alembic-check.db

.PHONY: install run test test-sqlite test-pg lint system-deps bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What running needs (make run): the package and its dependencies.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Everything: the dev extras too (tests, ruff, mypy, pre-commit).
$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.runtime $@

install: $(VENV)/.dev

## Install what running needs, load the demo county on SQLite, and serve on http://$(HOST):$(PORT)
run: $(VENV)/.runtime
	$(BIN)/ejia demo
	$(BIN)/ejia serve --host $(HOST) --port $(PORT)

## Install everything (Chromium from Debian for the page tests), lint, and run the suite on SQLite and PostgreSQL
test: install system-deps lint test-sqlite test-pg

system-deps:
	bash scripts/install-test-deps.sh

lint: install
	$(BIN)/ruff check app tests alembic $(wildcard bench)
	$(BIN)/ruff format --check app tests alembic $(wildcard bench)
	$(BIN)/mypy
	rm -f $(ALEMBIC_CHECK_DB)*
	DATABASE_URL=sqlite+aiosqlite:///$(ALEMBIC_CHECK_DB) EJIA_ENV=test $(BIN)/alembic upgrade heads
	DATABASE_URL=sqlite+aiosqlite:///$(ALEMBIC_CHECK_DB) EJIA_ENV=test $(BIN)/alembic check

test-sqlite: install
	$(BIN)/pytest -q -p no:cacheprovider

test-pg: install
	EJIA_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .mypy_cache
