# The two commands a newcomer needs: `make run` and `make test`. Everything else is for development.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format openapi migrate seed clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/workorders migrate
	$(BIN)/workorders seed-demo
	$(BIN)/workorders serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

format: $(STAMP)
	$(BIN)/ruff format src tests migrations bench
	$(BIN)/ruff check --fix src tests migrations bench

openapi: $(STAMP)
	$(BIN)/workorders openapi

migrate: $(STAMP)
	$(BIN)/workorders migrate

# The service against bench/reference_app.py on PostgreSQL and SQLite (needs wrk; by hand, never CI).
bench: $(STAMP)
	$(BIN)/python bench/compare.py --backend both

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
