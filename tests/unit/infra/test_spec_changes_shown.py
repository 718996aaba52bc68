"""The spec diff between the colours is shown where people look: the plan (text, JSON and
the CI summary), `zdd status`, the report and a release's CI step summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.colours import Colour
from generator.events.ci import ReleaseSummary
from generator.events.core import Event
from generator.infra.guard import judge
from generator.infra.plan import PlanSummary
from generator.infra.provision import GuardedPlan
from generator.infra.spec import ColourSpec, spec_from_env
from generator.pipeline.plan_report import plan_markdown
from generator.report.facts import facts
from generator.report.html import render_html
from generator.report.markdown import render_markdown
from generator.report.model import Report
from generator.report.timeline import timeline
from generator.rollout.release import released_changes
from generator.rollout.views.status import gather_status, render_status
from tests.support.report_sample import promoted_release, sample_report

SECRET = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-password"


def _with_feature(staging: Any) -> Any:
    container = staging.container.model_copy(
        update={"environment": {"LOG_LEVEL": "info", "FEATURE_X": "on"}, "secrets": {"DB": SECRET}}
    )
    return staging.model_copy(update={"container": container})


def _specs(staging: Any) -> dict[Colour, ColourSpec]:
    return {
        "blue": spec_from_env(staging, "1.0.0"),
        "green": spec_from_env(_with_feature(staging), "1.0.0"),
    }


def _recorded(aws: Any, specs: dict[Colour, ColourSpec]) -> Any:
    return aws.outputs.model_copy(
        update={"colour_specs": {c: s.to_json() for c, s in specs.items()}}
    )


def test_the_plan_summary_lists_what_the_idle_colour_changes(staging) -> None:
    specs = {
        "blue": spec_from_env(staging, "1.0.0"),
        "green": spec_from_env(_with_feature(staging), "1.0.0"),
    }
    plan = PlanSummary("1.2", ())
    guarded = GuardedPlan(Path("p.tfplan"), plan, judge(plan, "blue"), specs=specs)
    assert guarded.spec_changes() == [
        '+ environment.FEATURE_X = "on"',
        f'+ secrets.DB = "{SECRET}"',
    ]
    markdown = plan_markdown("staging", guarded)
    assert "Spec changes, live blue -> idle green (secrets by ARN):" in markdown
    assert "environment.FEATURE\\_X" in markdown or "environment.FEATURE_X" in markdown


def test_status_names_each_colours_release_and_the_diff(aws, staging, tmp_path: Path) -> None:
    from generator.journal.local import LocalStore

    specs = {
        "blue": spec_from_env(staging, "1.0.0"),
        "green": spec_from_env(_with_feature(staging), "1.0.0"),
    }
    outputs = aws.outputs.model_copy(
        update={"colour_specs": {c: s.to_json() for c, s in specs.items()}}
    )
    report = gather_status(
        aws.client("elbv2"),
        aws.client("cloudwatch"),
        outputs,
        LocalStore(tmp_path, "shop", "staging"),
    )
    text = render_status(report)
    live = report.live
    assert live is not None
    other = "green" if live == "blue" else "blue"
    assert f"  blue  release {specs['blue'].release}" in text
    assert f"spec changes, live {live} -> {other} (secrets by ARN):" in text
    assert "FEATURE_X" in text and SECRET in text
    assert report.to_dict()["releases"]["green"] == specs["green"].release


def test_a_release_keeps_its_diff_in_the_journal_bounded(aws, staging) -> None:
    many = staging.container.model_copy(
        update={"environment": {f"V{i}": "x" * 400 for i in range(30)}}
    )
    new_env = staging.model_copy(update={"container": many})
    specs = {"blue": spec_from_env(staging, "1.0.0"), "green": spec_from_env(new_env, "1.1.0")}
    outputs = aws.outputs.model_copy(
        update={"colour_specs": {c: s.to_json() for c, s in specs.items()}}
    )
    kept = released_changes(new_env, outputs, "1.1.0")
    assert len(kept) == 21 and kept[-1] == "... 12 more"
    assert all(len(line) <= 160 for line in kept)
    assert released_changes(staging, aws.outputs, "1.1.0") == []  # an old stack: no record


def test_the_report_and_the_step_summary_show_the_release_changes() -> None:
    dep = promoted_release().model_copy(update={"changes": ["~ cpu: 256 -> 512"]})
    rows = dict(facts(timeline(dep)).rows)
    assert rows["spec changes"] == "~ cpu: 256 -> 512"
    old = dict(facts(timeline(promoted_release())).rows)
    assert "spec changes" not in old  # a journal of an older zdd
    assert "spec changes" not in render_markdown(sample_report())
    report = Report("shop", "staging", [dep])
    assert "- **spec changes**: ~ cpu: 256 -> 512" in render_markdown(report)
    assert "spec changes" in render_html(report) and "cpu: 256 -&gt; 512" in render_html(report)
    summary = ReleaseSummary()
    summary.add(
        Event(
            "deployment.start",
            "deployment x: v2+0a1b2c3d",
            0.0,
            data={"changes": ["~ cpu: 256 -> 512"]},
        )
    )
    assert "Spec changes (secrets by ARN):" in summary.markdown()
    assert "cpu: 256 -> 512" in summary.markdown()
