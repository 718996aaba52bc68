"""The stack's provider lock file, committed beside the environment file: `zdd lock` writes
it (from the mirror, for the platforms it holds), a plan uses it as it is (``init
-lockfile=readonly``) and fails on one that disagrees rather than rewrite it, and `zdd lock`
refreshes it. Real terraform and provider against the emulator. The lock reused by a plan
and three deploys on a fresh repository: test_ecs_release_e2e; a first plan keeping
terraform's choice: tests/unit/infra/test_provider_lock.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.demo.moto import create_network, environment_with_network
from generator.demo.standalone import emulator_variables
from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source, provider_source

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ZDD = str(Path(sys.executable).parent / "zdd")
LOCK = "staging.terraform.lock.hcl"


@pytest.fixture(scope="module")
def repo(server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A team's repository: environments/staging.yaml on the emulator's network."""
    needs_a_provider_source()
    root = tmp_path_factory.mktemp("repo")
    environment_with_network(
        ROOT / "environments" / "staging.yaml", create_network(server), root / "environments"
    )
    return root


def _zdd(server: str, cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ZDD_ENV"))}
    env.update(emulator_variables(server, "eu-west-1"))
    run = subprocess.run(
        [ZDD, *args, "--env", "staging"], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert (run.returncode == 0) == ok, f"zdd {' '.join(args)}: {run.stdout}{run.stderr}"
    return run


def _checkout(repo: Path, dest: Path) -> Path:
    """What a fresh clone has: the committed files, no build/."""
    shutil.copytree(repo / "environments", dest / "environments")
    return dest


def _hashes(text: str) -> list[str]:
    return re.findall(r'"(h1:[^"]+|zh:[^"]+)"', text)


def test_zdd_lock_writes_it_for_the_platforms_it_can_vouch_for(server: str, repo: Path) -> None:
    run = _zdd(server, repo, "lock")
    text = (repo / "environments" / LOCK).read_text()
    assert _hashes(text), text
    assert "linux_amd64" in run.stdout
    if provider_source() == "mirror":  # the mirror holds linux_amd64 only: said, not hidden
        assert "not locked (the mirror does not hold them): darwin_arm64" in run.stdout
    assert not (repo / "build").exists()  # locked in a scratch stack, build/ untouched


def test_a_lock_that_disagrees_fails_the_plan_until_zdd_lock_refreshes_it(
    server: str, repo: Path, tmp_path: Path
) -> None:
    work = _checkout(repo, tmp_path / "stale")
    committed = work / "environments" / LOCK
    good = committed.read_text()
    stale = good.replace(_hashes(good)[0], "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    committed.write_text(stale)
    run = _zdd(server, work, "plan", ok=False)
    assert run.returncode == 1
    assert "terraform init failed" in run.stderr
    assert "To fix: the committed provider lock file" in run.stderr
    assert "`zdd lock --env ENV`" in run.stderr
    assert committed.read_text() == stale  # the plan never regenerated it
    _zdd(server, work, "lock")
    assert _hashes(committed.read_text()) == _hashes(good)
