"""Stacks made by the previous zdd keep working: a stack of the previous templates
(tests/fixtures/previous_release, never regenerated) applied with real Terraform and the
real provider against moto_server, then planned through the CLI with today's templates.

Generic on purpose: whatever today's templates change, the first plan after upgrading a
stack applied by the previous release must be accepted (nothing of the live colour
touched), or its refusal must say what one-time step it needs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.config import load_environment
from generator.demo.moto import (
    create_network,
    environment_with_network,
    terraform_environ,
    write_emulator_override,
)
from generator.infra.ownership import digest
from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source, provider_environ

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
BIN = Path(sys.executable).parent
PREVIOUS = ROOT / "tests" / "fixtures" / "previous_release" / "staging"
MANIFEST = ".zdd-manifest.json"


class OldStack:
    """The previous release's staging stack, on moto_server's network, applied."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        network = create_network(url)
        source = ROOT / "environments" / "staging.yaml"
        self.env_file = environment_with_network(source, network, root / "environments")
        self.stack_dir = root / "build" / "staging"
        shutil.copytree(PREVIOUS, self.stack_dir)
        _move_to_network(self.stack_dir, load_environment(source), network)
        write_emulator_override(self.stack_dir)
        self.environ = {
            **terraform_environ(url),
            **provider_environ(),
            "AWS_MAX_ATTEMPTS": "2",
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }

    def terraform(self, *args: str) -> subprocess.CompletedProcess[str]:
        run = subprocess.run(
            ["terraform", *args, "-input=false", "-no-color"],
            cwd=self.stack_dir,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=500,
            check=False,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        return run

    def zdd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "zdd"), *args, "--env", str(self.env_file)],
            cwd=self.root,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=500,
            check=False,
        )

    def changed_resources(self) -> list[str]:
        plan = json.loads((self.stack_dir / "zdd.tfplan.json").read_text())
        return [
            change["address"]
            for change in plan.get("resource_changes", [])
            if change["change"]["actions"] not in (["no-op"], ["read"])
        ]


def _move_to_network(stack_dir: Path, env: Any, network: Any) -> None:
    """The fixture names the example's VPC and subnets: put moto's in their place, and
    record the new text in zdd's manifest (zdd replaces only what it wrote)."""
    swaps = {env.network.vpc_id: network.vpc_id}
    swaps |= dict(zip(env.network.subnet_ids, network.subnet_ids, strict=False))
    manifest = json.loads((stack_dir / MANIFEST).read_text())
    for path in stack_dir.glob("*.tf"):
        text = path.read_text()
        for old, new in swaps.items():
            text = text.replace(old, new)
        path.write_text(text)
        manifest["sha256"][path.name] = digest(text)
    (stack_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


@pytest.fixture(scope="module")
def old_stack(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OldStack]:
    if not shutil.which("terraform"):
        pytest.fail("needs terraform on PATH: make test")
    needs_a_provider_source()
    stack = OldStack(tmp_path_factory.mktemp("upgrade") / "work", server)
    stack.terraform("init")
    stack.terraform("apply", "-auto-approve")
    yield stack


def test_the_first_plan_after_upgrading_is_accepted(old_stack: OldStack) -> None:
    done = old_stack.zdd("plan")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "plan accepted: nothing touches the live colour blue" in done.stdout
    assert old_stack.changed_resources() == []  # today's templates render what runs
