"""Where terraform's providers come from is the user's choice; when there is none, zdd says
what to set, in one line, with terraform's whole first error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_plan_with_no_provider_source_shows_the_whole_error_and_what_to_set(
    terraform_bin: str, tmp_path: Path
) -> None:
    # A mirror with nothing in it and no `direct` block: no provider anywhere, on any
    # machine, with or without a network.
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    rc = tmp_path / "terraform.rc"
    rc.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{empty}"\n  }}\n}}\n'
    )
    repo = tmp_path / "repo"
    (repo / "environments").mkdir(parents=True)
    shutil.copy(ROOT / "environments" / "staging.yaml", repo / "environments")
    env = {k: v for k, v in os.environ.items() if k not in {"TF_PLUGIN_CACHE_DIR", "TF_DATA_DIR"}}
    env |= {"TF_CLI_CONFIG_FILE": str(rc), "ZDD_TERRAFORM": terraform_bin}
    run = subprocess.run(
        [sys.executable, "-m", "generator", "plan", "--env", "staging"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    (message,) = [line for line in run.stderr.splitlines() if line.startswith("zdd:")]
    assert message.startswith(
        "zdd: terraform init failed (exit 1): Failed to query available provider packages: "
        "Could not retrieve the list of available versions for provider hashicorp/aws: "
    )
    assert "not found in any of the search locations" in message
    assert message.endswith(
        "To fix: give terraform a source for its providers: a provider_installation block "
        "naming a mirror in the CLI configuration that TF_CLI_CONFIG_FILE points at (zdd's "
        "Makefile writes one from TF_PROVIDER_MIRROR=DIR), or allow access to the Terraform "
        "registry."
    )
    assert not (repo / "zdd.tfplan").exists()
