"""The plan guard on plan files in HashiCorp's JSON output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.infra.guard import judge
from generator.infra.plan import load_plan
from tests.conftest import FIXTURES

PLANS = sorted((FIXTURES / "plans").glob("*.json"))


def test_corpus_covers_the_matrix() -> None:
    names = {p.stem for p in PLANS}
    assert len(PLANS) >= 12
    for what in ("live", "idle", "lb", "listener", "state", "ingress", "shared-alarm", "log-group"):
        for action in ("create", "update", "touch", "delete", "replace-dc", "replace-cd"):
            assert any(n.startswith(f"{what}-{action}-") for n in names)
    assert any("-noop-" in n for n in names) and any("-read-" in n for n in names)


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_guard_verdict(path: Path) -> None:
    verdict = judge(load_plan(path), "blue")
    assert verdict.accepted == path.stem.endswith("-accept")


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_guard_is_symmetric_in_colour(path: Path, tmp_path: Path) -> None:
    """Swap blue and green everywhere and make green live: the same verdict."""
    swapped = path.read_text().replace("blue", "@").replace("green", "blue").replace("@", "green")
    copy = tmp_path / path.name
    copy.write_text(swapped)
    assert judge(load_plan(copy), "green").accepted == path.stem.endswith("-accept")


def test_refusal_lists_each_offending_address_with_actions(run_cli) -> None:
    path = FIXTURES / "plans" / "mixed-two-offences-refuse.json"
    result = run_cli(
        "check-plan", str(path), "--env", "environments/staging.yaml", "--live", "blue"
    )
    assert result.exit_code == 3
    assert "module.alarms_blue.aws_cloudwatch_metric_alarm.error_rate [delete]" in result.stderr
    assert "module.alb.aws_lb.this [create, delete]" in result.stderr
    assert "module.green" not in result.stderr


def test_check_plan_json_and_override(run_cli) -> None:
    path = FIXTURES / "plans" / "live-update-refuse.json"
    ok = run_cli(
        "check-plan", str(path), "--env", "environments/staging.yaml", "--live", "green", "--json"
    )
    assert ok.exit_code == 0
    assert json.loads(ok.stdout)["accepted"] is True
    forced = run_cli(
        "check-plan",
        str(path),
        "--env",
        "environments/staging.yaml",
        "--live",
        "blue",
        "--allow-live-changes",
    )
    assert forced.exit_code == 0
    assert "WARNING" in forced.stderr


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"format_version": 1}',
        '{"format_version": "2.0"}',
        '{"format_version": "x"}',
        '{"format_version": "1.0", "resource_changes": '
        '[{"address": "a", "change": {"actions": ["explode"]}}]}',
        '{"format_version": "1.0", "resource_changes": {}}',
    ],
)
def test_check_plan_on_malformed_file_exits_2_with_one_line(
    content: str, run_cli, tmp_path: Path
) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text(content)
    result = run_cli("check-plan", str(bad), "--env", "environments/staging.yaml", "--live", "blue")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr
    assert "Traceback" not in result.stderr


def test_tagged_resources_outside_colour_modules(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.1",
        "resource_changes": [
            {
                "address": "aws_ecs_service.web",
                "type": "aws_ecs_service",
                "name": "web",
                "change": {
                    "actions": ["update"],
                    "before": {"tags_all": {"zdd:colour": "blue"}},
                    "after": {},
                },
            }
        ],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(plan))
    assert not judge(load_plan(path), "blue").accepted
    assert judge(load_plan(path), "green").accepted
