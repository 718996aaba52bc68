"""The pipeline generator: what it renders, and the managed-file rules it shares with stacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from generator.errors import InputError
from generator.infra.render import MANIFEST
from generator.pipeline import Pins, generate_pipeline, pipeline_envs
from generator.pipeline.model import MAX_SESSION_SECONDS, env_argument
from generator.pipeline.templates import pipeline_templates
from tests.conftest import ROOT

PINS = Pins("zdd==0.1.0")
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the two example environments (and nothing else)."""
    (tmp_path / "environments").mkdir()
    for name in ("staging", "production"):
        text = (ROOT / "environments" / f"{name}.yaml").read_text()
        (tmp_path / "environments" / f"{name}.yaml").write_text(text)
    return tmp_path


def _render(repo: Path, system: str, *envs: str) -> Path:
    out = repo / ("wf" if system == "github" else "gl")
    generate_pipeline(system, list(envs), out, PINS, cwd=repo)
    return out


def _files(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


def test_templates_are_not_where_the_stack_renderer_globs() -> None:
    folder = Path(str(pipeline_templates()))
    assert folder.parent.resolve() == (ROOT / "templates").resolve()
    assert not list(folder.glob("*.tf.j2"))
    assert not {p.name for p in folder.iterdir()} & {p.name for p in folder.parent.glob("*.j2")}


@pytest.mark.parametrize("system", ["github", "gitlab"])
def test_regenerating_is_byte_identical_and_rewrites_nothing(repo: Path, system: str) -> None:
    out = _render(repo, system)
    first = _files(out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != MANIFEST}
    _render(repo, system)
    assert _files(out) == first
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != MANIFEST} == stamps


def test_stale_files_go_and_user_files_stay(repo: Path) -> None:
    out = _render(repo, "github")
    (out / "ci.yml").write_text("name: mine\n")
    assert json.loads((out / MANIFEST).read_text())["files"] == [
        "zdd-production-control.yml",
        "zdd-production.yml",
        "zdd-staging-control.yml",
        "zdd-staging.yml",
    ]
    result = generate_pipeline("github", ["staging"], out, PINS, cwd=repo)
    assert result.removed == ["zdd-production-control.yml", "zdd-production.yml"]
    assert sorted(_files(out)) == sorted([MANIFEST, "ci.yml", *result.files])
    assert (out / "ci.yml").read_text() == "name: mine\n"


def test_default_output_folders(repo: Path) -> None:
    generate_pipeline("github", [], None, PINS, cwd=repo)
    generate_pipeline("gitlab", [], None, PINS, cwd=repo)
    assert (repo / ".github" / "workflows" / "zdd-staging.yml").is_file()
    assert (repo / ".gitlab" / "zdd" / "pipeline.yml").is_file()


def test_github_workflows_are_locked_down(repo: Path) -> None:
    out = _render(repo, "github")
    for name, text in _files(out).items():
        if name == MANIFEST:
            continue
        doc = yaml.safe_load(text)
        assert doc["permissions"] == {}, name
        assert "pull_request_target" not in text
        assert "${{ secrets" not in "".join(re.findall(r"run: \|[^\n]*\n(?:\s{10}.*\n)*", text))
        for job_name, job in doc["jobs"].items():
            assert "permissions" in job, f"{name}: {job_name}"
            assert "timeout-minutes" in job
            for step in job["steps"]:
                if "uses" in step:
                    line = next(x for x in text.splitlines() if step["uses"] in x)
                    assert SHA_PIN.match(line.split("uses: ", 1)[1]), line
                if "actions/checkout" in step.get("uses", ""):
                    assert step["with"]["persist-credentials"] is False


def test_github_release_applies_the_reviewed_plan_behind_the_environment(repo: Path) -> None:
    doc = yaml.safe_load((_render(repo, "github") / "zdd-production.yml").read_text())
    triggers = doc[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"pull_request", "push", "workflow_dispatch"}
    assert triggers["workflow_dispatch"]["inputs"]["version"]["required"] is True
    assert doc["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    review, release = doc["jobs"]["review"], doc["jobs"]["release"]
    assert review["environment"] == "production-plan"
    assert release["environment"] == "production" and release["needs"] == "review"
    assert release["if"] == "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'"
    plan_step = next(s for s in review["steps"] if "zdd plan" in s.get("run", ""))
    assert plan_step["env"] == {"ZDD_VERSION": "${{ inputs.version }}"}  # never inline
    assert '${ZDD_VERSION:+--version "$ZDD_VERSION"}' in plan_step["run"]
    runs = "\n".join(s.get("run", "") for s in release["steps"])
    assert "zdd apply --env production build/production.tfplan" in runs
    assert "zdd plan" not in runs  # that plan, not a new one
    assert "zdd shift --env production" in runs
    cancelled = [s for s in release["steps"] if s.get("if") == "cancelled()"]
    assert cancelled and "zdd abort" in cancelled[0]["run"]
    assert doc["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}
    assert "zdd db check" not in (_render(repo, "github") / "zdd-production.yml").read_text()


def test_gitlab_pipeline_one_release_at_a_time(repo: Path) -> None:
    doc = yaml.safe_load((_render(repo, "gitlab") / "pipeline.yml").read_text())
    assert doc[".zdd"]["id_tokens"]["ZDD_ID_TOKEN"]["aud"] == "sts.amazonaws.com"
    for env in ("staging", "production"):
        release = doc[f"zdd:release:{env}"]
        assert release["resource_group"] == f"zdd-{env}"
        assert release["rules"] == [
            {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "when": "manual"}
        ]
        assert release["needs"] == [f"zdd:plan:{env}"]
        assert "resource_group" not in doc[f"zdd:abort:{env}"]  # abort reaches a running release
        plan = doc[f"zdd:plan:{env}"]
        assert plan["artifacts"]["reports"]["terraform"] == f"build/{env}.tfplan.gitlab.json"
        assert plan["variables"]["ZDD_ROLE_VARIABLE"] == f"ZDD_{env.upper()}_PLAN_ROLE_ARN"
    assert not any(name.startswith("zdd:promote:") for name in doc)  # no gates in the examples


def test_gates_bring_promote_jobs_and_migrations_a_check(repo: Path) -> None:
    text = (repo / "environments" / "staging.yaml").read_text()
    text = text.replace("  type: canary\n  canary_percent: 10\n", "  type: steps\n")
    text = text.replace(
        "  poll_seconds: 5\n", "  poll_seconds: 5\n  steps: [10, 50, 100]\n  gates: [10, 50]\n"
    )
    (repo / "migrations").mkdir()
    text += "database:\n  migrations: ../migrations\n  dialect: postgres\n"
    (repo / "environments" / "staging.yaml").write_text(text)
    github = yaml.safe_load((_render(repo, "github", "staging") / "zdd-staging.yml").read_text())
    assert github["jobs"]["promote-1"]["needs"] == "review"
    assert github["jobs"]["promote-2"]["needs"] == "promote-1"
    assert github["jobs"]["release"]["timeout-minutes"] == MAX_SESSION_SECONDS // 60
    runs = [s.get("run", "") for s in github["jobs"]["review"]["steps"]]
    assert "zdd db check --env staging" in runs
    gitlab = yaml.safe_load((_render(repo, "gitlab", "staging") / "pipeline.yml").read_text())
    assert "zdd:promote:staging" in gitlab
    assert "zdd db check --env staging" in gitlab["zdd:validate:staging"]["script"]


def test_environments_by_name_or_path(repo: Path) -> None:
    (repo / "ops").mkdir()
    (repo / "ops" / "qa.yaml").write_text(
        (repo / "environments" / "staging.yaml").read_text().replace("name: staging", "name: qa")
    )
    envs = pipeline_envs(["staging", "ops/qa.yaml"], repo)
    assert [(e.name, e.arg) for e in envs] == [("qa", "ops/qa.yaml"), ("staging", "staging")]
    assert env_argument(repo / "environments" / "staging.yaml", repo) == "staging"
    with pytest.raises(InputError, match="inside it"):
        env_argument(Path("/elsewhere/x.yaml"), repo)
    with pytest.raises(InputError, match="second file"):
        pipeline_envs(["staging", "environments/staging.yaml"], repo)


def test_no_environments_and_unknown_systems_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \*\.yaml"):
        pipeline_envs([], tmp_path)
    with pytest.raises(InputError, match="github or gitlab"):
        generate_pipeline("jenkins", [], tmp_path, PINS, cwd=tmp_path)
    with pytest.raises(InputError, match="--install"):
        Pins("zdd\n--index-url x")


def test_warnings_name_what_jobs_cannot_share(repo: Path) -> None:
    result = generate_pipeline("gitlab", [], repo / "gl", PINS, cwd=repo)
    assert len(result.warnings) == 2
    assert all(w.startswith("staging: ") for w in result.warnings)


def test_role_sessions_cover_the_bakes(repo: Path) -> None:
    staging, production = (
        {e.name: e for e in pipeline_envs([], repo)}[n] for n in ("staging", "production")
    )
    assert staging.session_seconds == 7200  # 2 bakes of 120 s, plus an hour, in whole hours
    assert production.timeout_minutes == production.session_seconds // 60
