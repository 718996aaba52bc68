"""Where the suite's terraform gets hashicorp/aws: the tests that run the real provider
ask here, and fail (never skip) with one line saying what to provide when there is none.

zdd itself leaves Terraform's provider installation alone. The suite accepts what a team
would have: a mirror named by the CLI configuration in ``TF_CLI_CONFIG_FILE`` (what
``make`` writes when it finds one, or from ``TF_PROVIDER_MIRROR=DIR``), or Terraform's
registry, which a test cannot tell is reachable without calling it: a connected machine
says so with ``ZDD_TEST_PROVIDERS=registry``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REGISTRY_OPT_IN = "ZDD_TEST_PROVIDERS"
NO_SOURCE = (
    "terraform has no source for hashicorp/aws: run through `make test` / `make integration` "
    "(it configures the mirror it finds, or TF_PROVIDER_MIRROR=DIR), point TF_CLI_CONFIG_FILE "
    "at a CLI configuration with a filesystem_mirror or network_mirror, or, on a machine that "
    f"reaches the Terraform registry, set {REGISTRY_OPT_IN}=registry"
)


def provider_source() -> str | None:
    """``mirror`` (named in TF_CLI_CONFIG_FILE), ``registry`` (opted in), or None."""
    config = os.environ.get("TF_CLI_CONFIG_FILE", "")
    if config and Path(config).is_file():
        text = Path(config).read_text(encoding="utf-8")
        if "filesystem_mirror" in text or "network_mirror" in text:
            return "mirror"
    if os.environ.get(REGISTRY_OPT_IN) == "registry":
        return "registry"
    return None


def needs_a_provider_source() -> None:
    if provider_source() is None:
        pytest.fail(NO_SOURCE)


def provider_environ() -> dict[str, str]:
    """The variables that carry the provider source into a child's environment."""
    keys = ("TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR")
    return {key: os.environ[key] for key in keys if os.environ.get(key)}
