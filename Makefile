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
export CHECKPOINT_DISABLE := 1

# Terraform: the one on PATH (zdd honours ZDD_TERRAFORM as an override), 1.5 or later.
TERRAFORM := $(or $(ZDD_TERRAFORM),terraform)
TF_MIN_VERSION := 1.5
# Providers come the normal way: Terraform's registry (and the user's plugin cache,
# TF_PLUGIN_CACHE_DIR), unless a mirror is given. A mirror is the folder that holds
# HOST/hashicorp/aws/VERSION/OS_ARCH (a filesystem mirror or plugin cache): TF_PROVIDER_MIRROR=DIR,
# else one found on this machine. With a mirror, build/terraform.rc says "providers from
# there, nothing from the network" and every terraform that make starts (zdd's, pytest's,
# the demo's) reads it. A TF_CLI_CONFIG_FILE of the user's own (a file that exists) is
# honoured: never written, never replaced, no search.
TF_RC := $(abspath build/terraform.rc)
TF_USER_RC := $(wildcard $(filter-out $(TF_RC),$(TF_CLI_CONFIG_FILE)))
ifeq ($(TF_USER_RC),)
_tf_mirrors = $(foreach aws,$(shell find / -xdev -maxdepth 6 -path '*/hashicorp/aws' -type d \
  2>/dev/null | sort),$(if $(wildcard $(aws)/*/*/terraform-provider-aws*),$(aws:%/hashicorp/aws=%)))
TF_PROVIDER_MIRROR ?= $(patsubst %/,%,$(dir $(firstword $(_tf_mirrors))))
TF_PROVIDER_MIRROR := $(TF_PROVIDER_MIRROR)
export TF_PROVIDER_MIRROR
ifneq ($(TF_PROVIDER_MIRROR),)
export TF_CLI_CONFIG_FILE := $(TF_RC)
else
unexport TF_CLI_CONFIG_FILE
endif
endif

.PHONY: help install lock test-latest toolchain tools browser docs-screenshot demo test lint typecheck fmt-check unit integration checkov bench warden-zip clean

help:
	@echo "make demo   - run the whole story on an embedded AWS emulator"
	@echo "make test   - lint, type-check, every test (integration included), checkov"
	@echo "make bench  - benchmarks/run (after make test)"
	@echo "make lock   - refresh the locked installs (UPGRADE=1: newest the ranges allow)"
	@echo "make test-latest - the unit tier on the newest versions pyproject.toml allows"
	@echo "make warden-zip - build/warden.zip, the Lambda package of zdd warden"

# Installs are locked: tools/requirements-*.txt hold the exact versions (and hashes) the
# suite passed with, compiled by uv from pyproject.toml's ranges, which stay for people who
# install zdd as a tool or library. `make lock` refreshes them; tests/unit/test_locks.py
# fails when pyproject.toml and the lock disagree. pip brings uv (at the lock's version and
# hashes); uv installs the rest, in parallel, exactly as locked.
DEV_LOCK := tools/requirements-dev.txt
CHECKOV_LOCK := tools/requirements-checkov.txt
UV := $(BIN)/uv
export UV_PYTHON_DOWNLOADS := never
_uv_pin = awk '/^uv==/{p=1;print;next} p&&/^ +--hash/{print;next} {p=0}' $(DEV_LOCK)

$(STAMP): pyproject.toml $(DEV_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --require-hashes -r <($(_uv_pin))
	$(UV) pip sync -q --python $(BIN)/python --require-hashes $(DEV_LOCK)
	@# compat: a plain path entry in a .pth file. The default editable finder is an import
	@# hook that every Python process in the venv pays for (about 20 ms here); strict mode
	@# would hide modules added after the install. setuptools calls compat transitional:
	@# it also puts the checkout's root (tests/, benchmarks/) on the venv's path.
	$(UV) pip install -q --python $(BIN)/python --no-deps --no-build-isolation \
	  -C editable_mode=compat -e .
	touch $(STAMP)

install: $(STAMP)

# Refresh the locks: after editing pyproject.toml's ranges (existing pins are kept where
# they still fit), or with UPGRADE=1 to take the newest versions the ranges allow. Then run
# `make test` and commit tools/requirements-*.txt and tools/npm/package-lock.json together.
_compile = $(UV) pip compile -q --generate-hashes --universal --python-version 3.11 \
  --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)
lock: $(STAMP)
	$(_compile) pyproject.toml tools/requirements-dev.in --extra dev --extra demo -o $(DEV_LOCK)
	$(_compile) tools/requirements-checkov.in -o $(CHECKOV_LOCK)
	cd tools/npm && npm install --package-lock-only --no-audit --no-fund $(if $(UPGRADE),,--prefer-dedupe)

# Checked before anything runs terraform: each failure is one line saying what to provide.
_tf_path = $(shell command -v $(TERRAFORM) 2>/dev/null)
_tf_version = $(shell $(TERRAFORM) version -json 2>/dev/null \
  | sed -n 's/.*"terraform_version": *"\([0-9][0-9.]*\).*/\1/p')
_tf_older = $(filter-out $(TF_MIN_VERSION),$(firstword $(shell \
  printf '%s\n' $(TF_MIN_VERSION) $(1) | sort -V)))

define TF_RC_TEXT
# Written by make: providers from $(abspath $(TF_PROVIDER_MIRROR)), nothing from the network.
provider_installation {
  filesystem_mirror {
    path    = "$(abspath $(TF_PROVIDER_MIRROR))"
    include = ["*/*/*"]
  }
  direct {
    exclude = ["*/*/*"]
  }
}
endef
export TF_RC_TEXT

toolchain:
	$(if $(_tf_path),,$(error terraform not found ($(TERRAFORM)): install Terraform >= $(TF_MIN_VERSION) (or OpenTofu >= 1.6) or set ZDD_TERRAFORM=/path/to/terraform))
	$(if $(_tf_version),,$(error $(_tf_path) does not answer `version -json`: install Terraform >= $(TF_MIN_VERSION) or set ZDD_TERRAFORM=/path/to/terraform))
	$(if $(call _tf_older,$(_tf_version)),$(error $(_tf_path) is Terraform $(_tf_version), older than $(TF_MIN_VERSION): put a newer one first on PATH or set ZDD_TERRAFORM=/path/to/terraform))
	@# Where terraform gets hashicorp/aws: the user's CLI configuration, a mirror, or the registry.
ifneq ($(TF_USER_RC),)
	@echo "make: terraform reads your TF_CLI_CONFIG_FILE=$(TF_USER_RC) (providers as it says)"
else ifneq ($(TF_PROVIDER_MIRROR),)
	$(if $(wildcard $(TF_PROVIDER_MIRROR)/*/hashicorp/aws/*/*/terraform-provider-aws*),,$(error TF_PROVIDER_MIRROR=$(TF_PROVIDER_MIRROR) holds no HOST/hashicorp/aws/VERSION/OS_ARCH/terraform-provider-aws*: set TF_PROVIDER_MIRROR=DIR to a filesystem mirror or plugin cache, or unset it to use the registry))
	@mkdir -p $(dir $(TF_RC))
	@printf '%s\n' "$$TF_RC_TEXT" | cmp -s - $(TF_RC) || printf '%s\n' "$$TF_RC_TEXT" > $(TF_RC)
else
	@rm -f $(TF_RC)
	@echo "make: no provider mirror (TF_PROVIDER_MIRROR): terraform installs hashicorp/aws from its registry$(if $(TF_PLUGIN_CACHE_DIR), through the plugin cache $(TF_PLUGIN_CACHE_DIR))"
endif

# --- Tools the tests run, installed into the project, never globally ----------------
# tools/npm/package.json pins them and its package-lock.json locks every dependency
# (with integrity hashes); `npm ci` installs exactly that into .tools/.
TOOLS := .tools
TOOLS_STAMP := $(TOOLS)/.installed-stamp
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(TOOLS_STAMP): tools/npm/package.json tools/npm/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "make tools: needs Node.js 20 and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	mkdir -p $(TOOLS)
	cp tools/npm/package.json tools/npm/package-lock.json $(TOOLS)/
	npm ci --prefix $(TOOLS) --no-audit --no-fund --loglevel=error
	@# rsync: gitlab-ci-local copies the repository and each job's artifacts with it.
	@command -v rsync >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq rsync; }
	touch $(TOOLS_STAMP)

tools: $(TOOLS_STAMP)

# Debian's headless Chromium renders the HTML report in its browser tests.
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The report of a fixed sample of two releases, photographed: docs/report-demo.png.
docs-screenshot: toolchain $(STAMP) browser
	$(BIN)/python -m tests.support.screenshot docs/report-demo.png

demo: toolchain $(STAMP)
	$(BIN)/zdd demo

lint: $(STAMP)
	$(BIN)/ruff check generator tests benchmarks tools
	$(BIN)/ruff format --check generator tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy generator tests/typecheck $(wildcard tools/*.py)

fmt-check: toolchain
	$(TERRAFORM) fmt -check -recursive modules

unit: $(STAMP)
	$(PYTEST) -q -m "not integration"

integration: toolchain $(STAMP) tools browser
	ZDD_REQUIRE_CHROMIUM=1 $(PYTEST) -q -m integration

$(CHECKOV): $(CHECKOV_LOCK) | $(STAMP)
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(UV) pip sync -q --python $(CHECKOV_VENV)/bin/python --require-hashes $(CHECKOV_LOCK)
	touch $(CHECKOV)

# checkov in its own venv: installed beside the project it downgrades boto3.
checkov: $(STAMP) $(CHECKOV)
	rm -rf build/checkov
	$(BIN)/zdd generate --env staging --out build/checkov/staging
	$(BIN)/zdd generate --env production --out build/checkov/production
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d modules
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d build/checkov/staging
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d build/checkov/production

# Wall time from make's start, installs included: printed at the end of `make test`.
_T0 := $(shell date +%s)
# pytest-xdist: four workers on two cores, since most integration tests wait (terraform,
# the provider's fixed sleeps) rather than compute. loadscope: each module runs on one
# worker, in order (tests of a module share a stack, a pipeline or results), each worker
# with one emulator (tests/integration/conftest.py).
PYTEST := $(BIN)/pytest -n 4 --dist loadscope --durations=15 --durations-min=1

test: toolchain lint typecheck fmt-check tools browser
	ZDD_REQUIRE_CHROMIUM=1 $(PYTEST) -q
	$(MAKE) --no-print-directory checkov
	@echo "make test: passed in $$(( $$(date +%s) - $(_T0) )) s wall, installs included"

# The unit tier with the newest versions pyproject.toml's ranges allow (not the lock): what a
# person who installs zdd today gets. Not part of `make test`; run it before a release and
# when `make lock UPGRADE=1` is due.
LATEST_VENV := .venv-latest
test-latest: $(STAMP)
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(UV) pip install -q --python $(LATEST_VENV)/bin/python --upgrade -e '.[dev,demo]'
	$(UV) pip list --python $(LATEST_VENV)/bin/python | grep -iE '^(boto3|moto|sqlglot|pydantic|typer|jinja2) '
	$(LATEST_VENV)/bin/pytest -q -n auto -m "not integration" -p no:cacheprovider

# benchmarks/bench.py falls back to $(BIN)/terraform, which no longer exists: name PATH's.
bench: toolchain $(STAMP)
	ZDD_TERRAFORM=$(_tf_path) bash benchmarks/run

# The warden's Lambda artefact: zdd and its locked dependencies as manylinux wheels.
warden-zip: $(STAMP)
	$(BIN)/python -m tools.warden_package build/warden.zip

clean:
	rm -rf build .zdd .pytest_cache .mypy_cache .ruff_cache $(LATEST_VENV)
