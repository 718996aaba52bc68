"""`zdd plan` saves its plan (and the plan's JSON) in the stack directory, build/ENV, never
the repository's root; `zdd apply` and `zdd check-plan` look there by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.fake_terraform import install_fake_terraform

STAGING = ROOT / "environments" / "staging.yaml"
PLAN = ROOT / "tests" / "fixtures" / "plans" / "idle-create-accept.json"

FAKE = """#!{python}
import json, os, sys

args = sys.argv[1:]
with open(os.environ["FAKE_TF_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
if args[0] == "version":
    print(json.dumps({"terraform_version": "1.9.0"}))
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
def terraform_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install_fake_terraform(tmp_path, monkeypatch, FAKE)
    log = tmp_path / "terraform.log"
    monkeypatch.setenv("FAKE_TF_LOG", str(log))
    monkeypatch.setenv("FAKE_TF_PLAN", str(PLAN))
    return log


def test_plan_apply_and_check_plan_default_to_the_stack_directory(
    run_cli, terraform_log: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    planned = run_cli("plan", "--env", str(STAGING), "--json", cwd=repo)
    assert planned.exit_code == 0, planned.stderr
    stack = repo / "build" / "staging"
    verdict = json.loads(planned.stdout.splitlines()[-1])
    assert verdict["plan"] == str(Path("build") / "staging" / "zdd.tfplan")
    assert verdict["plan_json"] == str(stack / "zdd.tfplan.json")
    assert (stack / "zdd.tfplan").read_text() == "a saved plan"
    assert json.loads((stack / "zdd.tfplan.json").read_text()) == json.loads(PLAN.read_text())
    assert sorted(p.name for p in repo.iterdir()) == ["build"]  # nothing in the root

    applied = run_cli("apply", "--env", str(STAGING), cwd=repo)
    assert applied.exit_code == 0, applied.stderr
    (apply_line,) = [x for x in terraform_log.read_text().splitlines() if x.startswith("apply")]
    assert f"{stack / 'zdd.tfplan'}" in apply_line.split()

    judged = run_cli("check-plan", "--env", str(STAGING), "--live", "blue", "--json", cwd=repo)
    assert judged.exit_code == 0, judged.stderr
    assert json.loads(judged.stdout)["plan"] == str(Path("build") / "staging" / "zdd.tfplan.json")


def test_apply_without_a_saved_plan_says_where_it_looked(run_cli, tmp_path: Path) -> None:
    result = run_cli("apply", "--env", str(STAGING), cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"zdd: {Path('build') / 'staging' / 'zdd.tfplan'}: no such plan file; save one with "
        "`zdd plan`"
    )
