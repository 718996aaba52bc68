"""The provider lock file lives beside the environment file: a first plan keeps the one
terraform chose, later plans use it read-only, only `zdd lock` rewrites it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator.errors import InputError
from generator.infra.provider_lock import configured_mirror, lock_plan, mirror_platforms
from tests.conftest import ROOT
from tests.support.fake_terraform import install_fake_terraform

PLAN = ROOT / "tests" / "fixtures" / "plans" / "idle-create-accept.json"

FAKE = """#!{python}
import json, os, sys

args = sys.argv[1:]
with open(os.environ["FAKE_TF_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
if args[0] == "version":
    print(json.dumps({"terraform_version": "1.11.4"}))
elif args[0] == "init" and not os.path.exists(".terraform.lock.hcl"):
    open(".terraform.lock.hcl", "w").write("# chosen by init\\n")
elif args[:2] == ["providers", "lock"]:
    platforms = [a.split("=", 1)[1] for a in args if a.startswith("-platform=")]
    open(".terraform.lock.hcl", "w").write("# locked for " + " ".join(platforms) + "\\n")
elif args[0] == "output":
    print("{}")
elif args[0] == "plan":
    out = [a.split("=", 1)[1] for a in args if a.startswith("-out=")][0]
    open(out, "w").write("a saved plan")
    sys.exit(2)
elif args[0] == "show":
    print(open(os.environ["FAKE_TF_PLAN"]).read())
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install_fake_terraform(tmp_path, monkeypatch, FAKE)
    monkeypatch.setenv("FAKE_TF_LOG", str(tmp_path / "terraform.log"))
    monkeypatch.setenv("FAKE_TF_PLAN", str(PLAN))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "no-such.rc"))
    root = tmp_path / "repo"
    (root / "environments").mkdir(parents=True)
    source = (ROOT / "environments" / "staging.yaml").read_text()
    (root / "environments" / "staging.yaml").write_text(source)
    return root


def _calls(repo: Path, command: str) -> list[str]:
    log = (repo.parent / "terraform.log").read_text().splitlines()
    return [line for line in log if line.startswith(command)]


def test_a_first_plan_keeps_terraforms_choice_and_later_plans_use_it_read_only(
    run_cli, repo: Path
) -> None:
    committed = repo / "environments" / "staging.terraform.lock.hcl"
    first = run_cli("plan", "--env", "staging", cwd=repo)
    assert first.exit_code == 0, first.stderr
    assert committed.read_text() == "# chosen by init\n"
    assert f"zdd: wrote {Path('environments') / 'staging.terraform.lock.hcl'}" in first.stderr
    committed.write_text("# the team's reviewed lock\n")
    second = run_cli("plan", "--env", "staging", cwd=repo)
    assert second.exit_code == 0, second.stderr
    inits = _calls(repo, "init")
    assert "-lockfile=readonly" not in inits[0] and "-lockfile=readonly" in inits[1]
    stack_copy = repo / "build" / "staging" / ".terraform.lock.hcl"
    assert stack_copy.read_text() == "# the team's reviewed lock\n"
    assert committed.read_text() == "# the team's reviewed lock\n"
    assert "zdd: wrote" not in second.stderr


def test_a_lock_changed_by_hand_in_the_stack_is_not_overwritten(run_cli, repo: Path) -> None:
    (repo / "environments" / "staging.terraform.lock.hcl").write_text("# committed\n")
    assert run_cli("plan", "--env", "staging", cwd=repo).exit_code == 0
    stack_copy = repo / "build" / "staging" / ".terraform.lock.hcl"
    stack_copy.write_text("# after a hand-run terraform init -upgrade\n")
    again = run_cli("plan", "--env", "staging", cwd=repo)
    assert again.exit_code == 2
    assert ".terraform.lock.hcl: exists and zdd did not write it" in again.stderr
    assert stack_copy.read_text() == "# after a hand-run terraform init -upgrade\n"


def test_zdd_lock_locks_the_environments_platforms_into_the_committed_file(
    run_cli, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    for platform in ("linux_amd64", "darwin_arm64", "windows_amd64"):
        (mirror / "HOST/hashicorp/aws/5.100.0" / platform).mkdir(parents=True)
    rc = tmp_path / "terraform.rc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n')
    rc.write_text(rc.read_text() + "  }\n}\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    result = run_cli("lock", "--env", "staging", "--json", cwd=repo)
    assert result.exit_code == 0, result.stderr
    committed = repo / "environments" / "staging.terraform.lock.hcl"
    assert committed.read_text() == "# locked for linux_amd64 darwin_arm64\n"
    (call,) = _calls(repo, "providers lock")
    assert f"-fs-mirror={mirror}" in call.split()
    assert json.loads(result.stdout)["platforms"] == ["linux_amd64", "darwin_arm64"]
    assert not (repo / "build").exists()

    again = run_cli("lock", "--env", "staging", "--platform", "windows_amd64", cwd=repo)
    assert again.exit_code == 0, again.stderr
    assert committed.read_text() == "# locked for windows_amd64\n"


def test_zdd_lock_refuses_a_platform_that_is_not_os_arch(run_cli, repo: Path) -> None:
    result = run_cli("lock", "--env", "staging", "--platform", "linux", cwd=repo)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "zdd: --platform: 'linux' is not a platform such as linux_amd64 (OS_ARCH)"
    )


def test_from_a_mirror_only_the_platforms_it_holds_are_locked(tmp_path: Path) -> None:
    base = tmp_path / "HOST" / "hashicorp" / "aws"  # the registry's host name, in a mirror
    (base / "5.100.0" / "linux_amd64").mkdir(parents=True)
    (base / "terraform-provider-aws_5.99.0_darwin_arm64.zip").write_bytes(b"")
    assert mirror_platforms(tmp_path) == {"linux_amd64", "darwin_arm64"}
    plan = lock_plan(["linux_amd64", "windows_amd64"], tmp_path)
    assert (plan.platforms, plan.skipped) == (("linux_amd64",), ("windows_amd64",))
    assert lock_plan(["windows_amd64"], None).platforms == ("windows_amd64",)  # the registry
    with pytest.raises(InputError, match="holds hashicorp/aws for darwin_arm64, linux_amd64"):
        lock_plan(["windows_amd64"], tmp_path)


def test_the_mirror_is_the_one_the_cli_configuration_names(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    rc.write_text('provider_installation {\n  filesystem_mirror {\n    path = "/m"\n  }\n}\n')
    assert configured_mirror({"TF_CLI_CONFIG_FILE": str(rc)}) == Path("/m")
    rc.write_text("provider_installation {\n  direct {}\n}\n")
    assert configured_mirror({"TF_CLI_CONFIG_FILE": str(rc)}) is None
    assert configured_mirror({"TF_CLI_CONFIG_FILE": str(tmp_path / "none")}) is None
    assert os.environ.get("ZDD_NEVER_SET") is None
