# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint typecheck unit system-deps vendor-js bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(RUN_STAMP)

# `make run PORT=8080` (HOST too) serves elsewhere; bootstrap prints the address to open.
HOST ?= 127.0.0.1
PORT ?= 5000

run: $(RUN_STAMP)
	$(BIN)/dipcheck bootstrap --url http://$(HOST):$(PORT)
	$(BIN)/dipcheck run --host $(HOST) --port $(PORT)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest

test: lint typecheck unit

# Browser, Redis and QR decoder for the end-to-end tests; .ci/run calls it before `make test`.
system-deps:
	bash scripts/system-deps.sh

# The offline verifier's QR decoder (jsQR, pinned in package.json), copied into the static files.
vendor-js:
	bash scripts/vendor-js.sh

# Benchmarks are scripts a user runs one at a time (they load both cores): see bench/README.md.
bench: $(TEST_STAMP)
	@echo "Run one of these (each takes --help), figures and how to read them in bench/README.md:"
	@ls bench/*_bench.py | sed 's|^|  $(BIN)/python |'

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules
