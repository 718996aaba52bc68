"""zdd in CI: GitHub summaries and annotations, GitLab sections, plan reports."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from generator.events import Event, EventBus
from generator.events.ci import GitHubSink, GitLabSink, ci_sinks, detect, workflow_command
from generator.infra.guard import judge
from generator.infra.plan import load_plan
from generator.infra.provision import GuardedPlan
from generator.pipeline.plan_report import annotate_error, plan_counts, report_plan
from tests.conftest import FIXTURES

GITHUB = {"GITHUB_ACTIONS": "true"}
GITLAB = {"GITLAB_CI": "true"}


def _event(kind: str, message: str, level: str = "info", **data: object) -> Event:
    return Event(kind, message, 1_700_000_000.0, level, dict(data))


PROMOTED = [
    _event("deployment.start", "deployment d1: blue -> green by canary: 10% 120s, 100% 120s"),
    _event(
        "step.verified",
        "step: blue 90% / green 10% verified",
        "success",
        weights={"blue": 90, "green": 10},
    ),
    _event("bake.start", "baking 10% on green for 120s"),
    _event("bake.poll", "10% on green: signals OK, 60s left"),
    _event(
        "step.verified",
        "step: blue 0% / green 100% verified",
        "success",
        weights={"blue": 0, "green": 100},
    ),
    _event("bake.start", "baking 100% on green for 120s"),
    _event("deployment.promoted", "green is live (blue 0% / green 100%)", "success"),
]
ROLLED_BACK = [
    *PROMOTED[:3],
    _event("rollback.start", "rolling back to blue: green: 5xx-rate ALARM", "error"),
    _event(
        "rollback.verified",
        "rollback: blue 100% / green 0% verified",
        "success",
        weights={"blue": 100, "green": 0},
    ),
    _event("rollback.done", "rolled back: blue has all traffic again", "error"),
]


def test_detect_the_ci_system() -> None:
    assert detect(GITHUB) == "github"
    assert detect(GITLAB) == "gitlab"
    assert detect({"CI": "true"}) is None
    assert ci_sinks({}) == []
    assert isinstance(ci_sinks({**GITHUB, "GITHUB_STEP_SUMMARY": "/x"})[0], GitHubSink)
    assert isinstance(ci_sinks(GITLAB)[0], GitLabSink)


def test_workflow_commands_escape_what_github_parses() -> None:
    line = workflow_command("error", "50%\nsecond line", "zdd: a, b")
    assert line == "::error title=zdd%3A a%2C b::50%25%0Asecond line"


def test_github_summary_of_a_promoted_release(tmp_path: Path) -> None:
    summary, stream = tmp_path / "summary.md", io.StringIO()
    sink = GitHubSink(summary, stream)
    for event in PROMOTED:
        sink.emit(event)
    sink.close()
    text = summary.read_text()
    assert text.startswith("### deployment d1: blue -> green by canary")
    assert "| 1 | blue 90% / green 10% | baking 10% on green for 120s | baked |" in text
    assert "| 2 | blue 0% / green 100% | baking 100% on green for 120s | baked |" in text
    assert "**Outcome:** green is live" in text
    assert stream.getvalue() == ""  # nothing to annotate


def test_github_rollback_is_annotated_and_summarised(tmp_path: Path) -> None:
    summary, stream = tmp_path / "summary.md", io.StringIO()
    sink = GitHubSink(summary, stream)
    warning = _event("test_listener.failed", "test listener not repointed", "warning")
    for event in [*ROLLED_BACK, warning]:
        sink.emit(event)
    sink.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("::error title=zdd rollback.start::rolling back to blue")
    assert len(lines) == 2  # rollback.done is the command's error, annotated by the CLI
    assert lines[-1].startswith("::warning title=zdd test_listener.failed::")
    text = summary.read_text()
    assert "**rolled back**: rolling back to blue: green: 5xx-rate ALARM" in text
    assert "| 2 | blue 100% / green 0% |  | rollback verified |" in text
    assert "- warning: test listener not repointed" in text


def test_gitlab_sections_wrap_each_step() -> None:
    stream = io.StringIO()
    sink = GitLabSink(stream, clock=lambda: 1700000000)
    for event in ROLLED_BACK:
        sink.emit(event)
    sink.close()
    out = stream.getvalue()
    starts = [line for line in out.split("\n") if "section_start" in line]
    assert len(starts) == 2
    assert "[collapsed=true]\r\x1b[0Kstep 1: blue 90% / green 10%" in starts[0]
    assert "[collapsed" not in starts[1] and "rollback: rolling back to blue" in starts[1]
    assert out.count("section_end") == 2
    assert out.index("section_end") < out.rindex("section_start")  # step closed first


def test_json_lines_stay_alone_on_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from generator.cli._runtime import make_events

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    bus: EventBus = make_events(True)
    for event in ROLLED_BACK:
        bus.emit(event)
    bus.close()
    out, err = capsys.readouterr()
    assert all(json.loads(line) for line in out.splitlines())
    assert "::error title=zdd rollback.start::" in err
    assert "rolled back" in (tmp_path / "summary.md").read_text()


def _guarded(name: str, tmp_path: Path) -> GuardedPlan:
    summary = load_plan(FIXTURES / "plans" / f"{name}.json")
    plan_file = tmp_path / "staging.tfplan"
    return GuardedPlan(plan_file, summary, judge(summary, "blue"))


def test_plan_report_for_github(tmp_path: Path) -> None:
    step_summary = tmp_path / "summary.md"
    written = report_plan(
        "staging",
        _guarded("live-update-refuse", tmp_path),
        {**GITHUB, "GITHUB_STEP_SUMMARY": str(step_summary)},
    )
    assert written == [tmp_path / "staging.tfplan.md"]
    text = written[0].read_text()
    assert text.startswith("### zdd plan: staging: **refused** (exit 3)")
    assert "belongs to the live colour blue" in text
    assert step_summary.read_text() == text + "\n"


def test_plan_report_for_gitlab(tmp_path: Path) -> None:
    stream = io.StringIO()
    guarded = _guarded("idle-replace-cd-accept", tmp_path)
    written = report_plan("staging", guarded, GITLAB, stream)
    assert written == [tmp_path / "staging.tfplan.gitlab.json"]
    counts = json.loads(written[0].read_text())
    assert counts == plan_counts(guarded.summary) == {"create": 1, "update": 0, "delete": 1}
    assert "section_start" in stream.getvalue() and "New on the idle colour" in stream.getvalue()
    assert report_plan("staging", guarded, {}) == []


def test_errors_become_annotations_under_github(tmp_path: Path) -> None:
    stream, step_summary = io.StringIO(), tmp_path / "summary.md"
    env = {**GITHUB, "GITHUB_STEP_SUMMARY": str(step_summary)}
    annotate_error("alarm already firing\nnothing moved", 3, env, stream)
    assert stream.getvalue().startswith(
        "::error title=zdd%3A refused for safety (exit 3)::alarm already firing%0Anothing moved"
    )
    assert "alarm already firing" in step_summary.read_text()
    quiet = io.StringIO()
    annotate_error("x", 3, GITLAB, quiet)
    assert quiet.getvalue() == ""
