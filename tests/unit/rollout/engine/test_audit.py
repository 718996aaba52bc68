"""History is an audit log: who ran what, which version, refusals and failed hooks with
their reason, durations; and promote/abort report the state after they act."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import Hook, Hooks, Strategy
from generator.errors import PreflightRefused, ReleaseFailed
from generator.journal.local import LocalStore
from generator.journal.model import Actor, Deployment, JournalDoc, Step, ci_url
from generator.rollout.engine.engine import ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from generator.rollout.views.history import history_lines, render_history
from generator.rollout.views.outcome import RunSummary, settle_request
from generator.rollout.views.status import gather_status, render_status
from tests.conftest import ROOT, engine_for


def _store(clock, tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)


def spec(steps: list[int], release: str | None = "v2") -> ReleaseSpec:
    strategy = Strategy(type="steps", steps=steps, bake_seconds=30)
    return ReleaseSpec(build_schedule(strategy), "steps", release=release)


def test_who_ran_it_comes_from_the_ci_system_when_there_is_one() -> None:
    github = {
        "GITHUB_ACTOR": "octocat",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "shop/app",
        "GITHUB_RUN_ID": "42",
    }
    actor = Actor.detect("shift", github)
    assert actor.user == "octocat" and actor.command == "shift"
    assert actor.ci_url == "https://github.example/shop/app/actions/runs/42"
    assert ci_url({"CI_JOB_URL": "https://gitlab.example/j/7"}) == "https://gitlab.example/j/7"
    assert (
        ci_url({"ZDD_CI_URL": "https://x.example", "BUILD_URL": "https://j"}) == "https://x.example"
    )
    assert ci_url({}) is None
    assert Actor.detect("deploy", {"USER": "alice"}).user == "alice"


def test_a_deployment_records_who_and_which_versions(aws, clock, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ZDD_ACTOR", "release-bot")
    monkeypatch.setenv("ZDD_CI_URL", "https://ci.example/jobs/9")
    engine = engine_for(aws, clock, _store(clock, tmp_path))
    dep = engine.shift(spec([100], release=None))  # a shift names no version
    assert dep.actor is not None and dep.actor.user == "release-bot"
    assert dep.actor.ci_url == "https://ci.example/jobs/9"
    assert dep.versions == aws.outputs.versions
    assert dep.release == aws.outputs.versions["green"]  # what the stack says green runs
    kinds = [e.kind for e in engine.store.load().history[-1].events]
    assert "bake.passed" in kinds and "signals.changed" in kinds


def test_a_preflight_refusal_is_journalled(aws, clock, tmp_path) -> None:
    aws.set_alarm(aws.outputs.alarm_names["green"][0], reason="5xx 12%")
    engine = engine_for(aws, clock, _store(clock, tmp_path))
    with pytest.raises(PreflightRefused):
        engine.shift(spec([10, 100]))
    doc = engine.store.load()
    assert doc.current is None and doc.history == []
    (refusal,) = doc.refusals
    assert refusal.stage == "preflight" and "5xx 12%" in refusal.reason
    assert (refusal.release, refusal.from_colour, refusal.to_colour) == ("v2", "blue", "green")
    assert refusal.actor is not None
    refused = [e for e in engine.events.history if e.kind == "deployment.refused"]
    assert refused and refused[0].data["stage"] == "preflight"


def test_a_failed_pre_traffic_hook_is_journalled_and_blocks_nothing(aws, clock, tmp_path) -> None:
    hooks = Hooks(pre_traffic=[Hook(command=["sh", "-c", "echo db not migrated >&2; exit 4"])])
    store = _store(clock, tmp_path)
    with pytest.raises(ReleaseFailed, match="db not migrated"):
        engine_for(aws, clock, store, hooks=hooks, hooks_cwd=tmp_path).shift(spec([10, 100]))
    doc = store.load()
    (refusal,) = doc.refusals
    assert refusal.stage == "pre_traffic" and refusal.deployment_id
    assert "db not migrated" in refusal.reason
    assert doc.current is None  # no weight moved: nothing to resume
    assert engine_for(aws, clock, store).shift(spec([100])).status == "promoted"


def test_a_failed_post_promote_hook_is_kept_with_its_deployment(aws, clock, tmp_path) -> None:
    hooks = Hooks(post_promote=[Hook(command=["sh", "-c", "echo cache warm-up failed; exit 1"])])
    store = _store(clock, tmp_path)
    engine_for(aws, clock, store, hooks=hooks, hooks_cwd=tmp_path).shift(spec([100]))
    archived = store.load().history[-1]
    failed = [e for e in archived.events if e.kind == "hook.post_promote.failed"]
    assert failed and "cache warm-up failed" in failed[0].message


def test_status_history_is_a_table_with_headers(aws, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    engine_for(aws, clock, store).shift(spec([10, 100]))
    clock.sleep(600)
    aws.set_alarm(aws.outputs.alarm_names["blue"][0], reason="blue 5xx 40%")
    with pytest.raises(PreflightRefused):
        engine_for(aws, clock, store).shift(spec([100], release="v3"))
    report = gather_status(
        aws.client("elbv2"), aws.client("cloudwatch"), aws.outputs, store, history=True
    )
    text = render_status(report)
    table = next(line for line in text.splitlines() if line.startswith("STARTED"))
    for header in (
        "STARTED (UTC)",
        "ID",
        "RELEASE",
        "CHANGE",
        "OUTCOME",
        "STEPS",
        "TOOK",
        "BY",
        "REASON",
    ):
        assert header in table
    newest, older = report.history or []
    assert newest.kind == "refusal" and newest.outcome == "refused" and newest.release == "v3"
    assert older.outcome == "promoted" and older.duration_seconds == pytest.approx(60, abs=1)
    assert "refused (preflight)" in text and "blue 5xx 40%" in text and "1m00s" in text
    data = report.to_dict()
    assert data["history"][1]["started_at"].endswith("Z")
    assert data["history"][1]["actor"]


def test_an_empty_history_says_so() -> None:
    doc = JournalDoc(service="shop", environment="staging")
    assert render_history(history_lines(doc)) == ["history: no deployments yet"]


def _waiting(clock, request: str | None) -> Deployment:
    return Deployment(
        id="feed00cafe",
        strategy="canary",
        from_colour="blue",
        to_colour="green",
        listener_arn="arn",
        schedule=[Step(percent=10, bake_seconds=30), Step(percent=100, bake_seconds=30)],
        status="waiting_gate",
        step_index=0,
        weights={"blue": 90, "green": 10},
        started_at=clock.now(),
        request=request,  # type: ignore[arg-type]
    )


def test_promote_reports_the_state_after_the_running_zdd_acted(clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    store.save(
        JournalDoc(service="shop", environment="staging", current=_waiting(clock, "promote"))
    )

    def running_zdd_acts(c) -> None:  # the zdd holding the listener polls, then promotes
        if len(c.slept) == 2:
            doc = store.load()
            assert doc.current is not None
            doc.current.request = None
            doc.current.status = "promoted"
            doc.current.weights = {"blue": 0, "green": 100}
            doc.archive_current()
            store.save(doc)

    clock.on_sleep.append(running_zdd_acts)
    after = settle_request(store, _waiting(clock, None), poll_seconds=5, timeout=60, clock=clock)
    assert after.status == "promoted" and after.weights == {"blue": 0, "green": 100}
    line = RunSummary("promote", after.status, 0, after).lines()[0]
    assert "feed00cafe: promoted" in line and "weights blue 0% / green 100%" in line


def test_promote_says_when_the_running_zdd_has_not_acted_yet(clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    store.save(
        JournalDoc(service="shop", environment="staging", current=_waiting(clock, "promote"))
    )
    after = settle_request(store, _waiting(clock, None), poll_seconds=5, timeout=20, clock=clock)
    assert after.request == "promote" and sum(clock.slept) == 20
    lines = RunSummary("promote", after.status, 0, after).lines()
    assert lines[1] == "promote requested; the running zdd has not acted on it yet"


def test_abort_prints_the_state_after_it_acted(aws, run_cli, clock, tmp_path) -> None:
    store = _store(clock, tmp_path)
    dep = _waiting(clock, None).model_copy(update={"listener_arn": aws.outputs.listener_arn})
    store.save(JournalDoc(service="shop", environment="staging", current=dep))
    from generator.rollout.aws.alb import AlbListenerRouter

    router = AlbListenerRouter(aws.client("elbv2"), aws.outputs)
    router.set_weights(router.read(), {"blue": 90, "green": 10})
    outputs = tmp_path / "outputs.json"
    outputs.write_text(aws.outputs.to_terraform_json())
    result = run_cli(
        "abort",
        *("--env", str(ROOT / "environments" / "staging.yaml")),
        *("--outputs", str(outputs), "--store", str(tmp_path / ".zdd")),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("deployment feed00cafe: aborted (blue -> green in ")
    assert "weights blue 100% / green 0%" in result.stdout
