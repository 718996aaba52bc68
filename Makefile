# zdd's build. Every target works on a fresh clone: the virtual environment is
# created and filled from pyproject.toml the first time it is needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHECKOV := $(CHECKOV_VENV)/bin/checkov
export PATH := $(abspath $(BIN)):$(PATH)
export ZDD_TERRAFORM := $(abspath $(BIN))/terraform

.PHONY: help install demo test lint typecheck fmt-check unit integration checkov bench clean

help:
	@echo "make demo   - run the whole story on an embedded AWS emulator"
	@echo "make test   - lint, type-check, every test (integration included), checkov"
	@echo "make bench  - benchmarks/run (after make test)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/zdd demo

lint: $(STAMP)
	$(BIN)/ruff check generator tests benchmarks
	$(BIN)/ruff format --check generator tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy generator tests/typecheck

fmt-check: $(STAMP)
	$(BIN)/terraform fmt -check -recursive modules

unit: $(STAMP)
	$(BIN)/pytest -q -m "not integration"

integration: $(STAMP)
	$(BIN)/pytest -q -m integration

$(CHECKOV):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q checkov

# checkov in its own venv: installed beside the project it downgrades boto3.
checkov: $(STAMP) $(CHECKOV)
	rm -rf build/checkov
	$(BIN)/zdd generate --env staging --out build/checkov/staging
	$(BIN)/zdd generate --env production --out build/checkov/production
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d modules
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d build/checkov/staging
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d build/checkov/production

test: lint typecheck fmt-check
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory checkov

bench: $(STAMP)
	bash benchmarks/run

clean:
	rm -rf build .zdd .pytest_cache .mypy_cache .ruff_cache
