# One entry point for set-up, tests, checks and benchmarks. Needs only Python 3.11+ and make:
# the first target that needs the virtual env creates it and installs riskbus with its extras.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest
EXTRAS ?= dev

.PHONY: install demo test test-unit test-integration test-e2e test-slow lint format types check bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/riskbus demo

# The whole suite with line coverage of src/; fails under 85 %.
test: $(STAMP)
	$(PYTEST) -p no:cacheprovider --cov=riskbus --cov-report=term --cov-fail-under=85 tests

test-unit: $(STAMP)
	$(PYTEST) -m unit tests

test-integration: $(STAMP)
	$(PYTEST) -m integration tests

test-e2e: $(STAMP)
	$(PYTEST) -m e2e tests

test-slow: $(STAMP)
	$(PYTEST) -m slow tests

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage* htmlcov build dist
