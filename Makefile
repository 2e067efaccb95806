# One entry point for set-up, tests, checks and benchmarks. Needs only Python 3.11+ and make:
# the first target that needs the virtual env creates it and installs riskbus with its extras.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest
EXTRAS ?= dev

.PHONY: mutation install browser demo test test-unit test-integration test-e2e test-slow lint format types check bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's chromium through Playwright (never a downloaded browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	@(apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)) || \
	  echo "could not install chromium: the browser tests will fail"

browser: $(CHROMIUM)

# The main job: run the bundled flash-crash-recovery scenario and write its HTML report.
demo: $(STAMP)
	$(BIN)/riskbus demo

# The whole suite with line coverage of src/; fails under 85 %.
test: $(STAMP) $(CHROMIUM)
	$(PYTEST) -p no:cacheprovider --cov=riskbus --cov-report=term --cov-fail-under=85 tests

# One tier each, by marker. A tier with no tests yet says so and does not fail; the full
# `make test` (what CI runs) does fail when pytest collects nothing (exit code 5).
TIER = $(PYTEST) -p no:cacheprovider -m $(1) tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no $(1) tests yet"; exit 0; fi; exit $$rc

test-unit: $(STAMP)
	@$(call TIER,unit)

test-integration: $(STAMP)
	@$(call TIER,integration)

test-e2e: $(STAMP)
	@$(call TIER,e2e)

test-slow: $(STAMP)
	@$(call TIER,slow)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

# Mutation testing of src/riskbus/risk/rules (slow: ~4 min on 2 cores); prints the score.
mutation: $(STAMP)
	$(BIN)/mutmut run --max-children 2 >/dev/null 2>&1 || true
	@$(BIN)/mutmut results --all true 2>/dev/null | awk '/: killed/{k++} /: survived/{s++} /: no tests/{n++} END{t=k+s+n; printf "mutants %d, killed %d, survived %d, no tests %d: %.1f%% killed\n", t, k, s, n, 100*k/t}'

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage* htmlcov build dist
