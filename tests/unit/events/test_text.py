"""Plain lines for logs and CI, and JSON Lines checked against the documented schema.

Releases run on moto in process with a fake clock: a ten-minute bake takes
milliseconds, and heartbeat intervals are measured on the run's own clock.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from pathlib import Path

import jsonschema
import pytest

from generator.config import Strategy
from generator.demo.injectors import CallbackSink
from generator.errors import PreflightRefused, ReleaseFailed
from generator.events import SCHEMA_PATH, EventBus, JsonSink, Origin, PlainSink
from generator.events.core import KINDS
from generator.journal.local import LocalStore
from generator.rollout.engine.engine import ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from generator.rollout.views.outcome import summarize
from tests.conftest import ROOT, engine_for

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (info|ok|warn|error|wait)\s+(.*)$")


def spec(steps: list[int], bake: float, gates: tuple[int, ...] = (), release: str = "v2"):
    strategy = Strategy(type="steps", steps=steps, bake_seconds=bake, gates=list(gates))
    return ReleaseSpec(build_schedule(strategy), "steps", release=release)


def run_with(aws, clock, tmp_path: Path, *sinks, poll: float = 10, grace: float = 60):
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    return engine_for(aws, clock, store, poll=poll, grace=grace, events=EventBus(list(sinks)))


def parsed(text: str) -> list[tuple[float, str, str]]:
    out = []
    for line in text.splitlines():
        match = LINE.match(line)
        assert match, f"not a timestamped line: {line!r}"
        when = dt.datetime.fromisoformat(match[1].replace("Z", "+00:00")).timestamp()
        out.append((when, match[2], match[3]))
    return out


# -- plain lines -------------------------------------------------------------------


def test_a_long_bake_in_a_ci_log_has_bounded_heartbeats(aws, clock, tmp_path: Path) -> None:
    log = io.StringIO()
    run_with(aws, clock, tmp_path, PlainSink(log, heartbeat_seconds=30)).shift(
        spec([10, 100], bake=600)
    )
    lines = parsed(log.getvalue())
    assert any("(step 1/2)" in text for _, _, text in lines)
    assert any("(step 2/2)" in text for _, _, text in lines)
    waits = [(t, text) for t, tag, text in lines if tag == "wait"]
    assert len(waits) >= 2 * (600 // 40)  # two bakes of 600 s: a line at least every 40 s
    for text in (text for _, text in waits):
        assert re.search(r"baking (10|100)% on green: signals OK, \d+s left", text), text
    # Never more often than the interval, never quieter than interval + one poll.
    for (a, _, _), (b, _, _) in itertools.pairwise(lines):
        assert b - a <= 30 + 10
    times = [t for t, _ in waits]
    assert all(b - a >= 30 for a, b in itertools.pairwise(times))
    lefts = [int(re.search(r"(\d+)s left", text)[1]) for _, text in waits[:5]]  # type: ignore[index]
    assert lefts == sorted(lefts, reverse=True)


def test_preflight_grace_is_not_silent(aws, clock, tmp_path: Path) -> None:
    log = io.StringIO()
    latency = aws.outputs.alarm_names["green"][1]
    aws.set_alarm(latency, "INSUFFICIENT_DATA", "no datapoints yet")
    clock.at(75, lambda: aws.set_alarm(latency, "OK"))
    engine = run_with(aws, clock, tmp_path, PlainSink(log), poll=5, grace=120)
    engine.shift(spec([100], bake=0))
    waits = [text for _, tag, text in parsed(log.getvalue()) if tag == "wait"]
    assert len(waits) >= 2
    assert all("pre-flight: green not yet known" in w and "before refusing" in w for w in waits)
    assert latency in waits[0]


def test_waiting_at_a_gate_keeps_saying_so(aws, clock, tmp_path: Path) -> None:
    log = io.StringIO()
    engine = run_with(aws, clock, tmp_path, PlainSink(log))
    other = run_with(aws, clock, tmp_path)

    def promote_after_ten_minutes(c) -> None:
        current = other.store.load().current
        if current and current.status == "waiting_gate" and c.now() - current.started_at > 660:
            other.request("promote")

    clock.on_sleep.append(promote_after_ten_minutes)
    engine.shift(spec([20, 100], bake=60, gates=(20,)))
    gate_lines = [text for _, tag, text in parsed(log.getvalue()) if "gate" in text]
    assert any("waiting for `zdd promote`" in text for text in gate_lines)
    heartbeats = [text for text in gate_lines if "rolls back in" in text]
    assert len(heartbeats) >= 600 // 40


def test_verbose_plain_lines_show_every_poll() -> None:
    from generator.events import Event

    log = io.StringIO()
    sink = PlainSink(log, verbose=True)
    for t in range(5):
        sink.emit(Event("bake.poll", f"poll {t}", 1_700_000_000.0 + t))
    assert len(log.getvalue().splitlines()) == 5


# -- JSON Lines ------------------------------------------------------------------------


def _lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _validate_all(lines: list[dict]) -> None:
    for line in lines:
        errors = sorted(VALIDATOR.iter_errors(line), key=lambda e: e.path)
        assert not errors, f"{json.dumps(line)[:300]}: {errors[0].message}"


def _run_json(aws, clock, tmp_path, make_spec, prepare=None):
    out = io.StringIO()
    sink = JsonSink(out, origin=Origin("shop", "staging"))
    engine = run_with(aws, clock, tmp_path, sink, poll=10, grace=30)
    if prepare:
        prepare(engine)
    summary, error = summarize(
        "shift", engine.store, engine.events, lambda: engine.shift(make_spec)
    )
    out.write(json.dumps(summary.to_json()) + "\n")
    return _lines(out), error


def test_every_json_line_of_a_promotion_matches_the_schema(aws, clock, tmp_path: Path) -> None:
    lines, error = _run_json(aws, clock, tmp_path, spec([10, 50, 100], bake=60, gates=()))
    assert error is None
    _validate_all(lines)
    assert "result" in lines[-1] and all("event" in line for line in lines[:-1])
    assert lines[-1]["result"]["status"] == "promoted"
    polls = [line["event"] for line in lines[:-1] if line["event"]["kind"] == "bake.poll"]
    assert polls and all(p["data"]["left_seconds"] >= 0 for p in polls)
    assert {v["signal"] for v in polls[0]["data"]["verdicts"]} == {"alarms"}
    assert polls[0]["data"]["verdicts"][0]["checks"]  # each alarm's state
    first = lines[0]["event"]
    assert first["at"].endswith("Z") and first["service"] == "shop"


def test_a_rollback_and_a_refusal_match_the_schema_too(aws, clock, tmp_path: Path) -> None:
    alarm = aws.outputs.alarm_names["green"][0]

    def fire_during_bake(engine) -> None:
        def fire(event) -> None:
            if event.kind == "bake.start":
                clock.at(25, lambda: aws.set_alarm(alarm))

        engine.events.sinks.append(CallbackSink(fire))

    lines, error = _run_json(aws, clock, tmp_path, spec([10, 100], 300), fire_during_bake)
    assert isinstance(error, ReleaseFailed)
    _validate_all(lines)
    result = lines[-1]["result"]
    assert result["status"] == "rolled_back" and result["exit_code"] == 1
    assert result["deployment"]["finished_at"].endswith("Z")
    assert "signals.changed" in {line["event"]["kind"] for line in lines[:-1]}

    lines, error = _run_json(aws, clock, tmp_path / "again", spec([10, 100], 300))
    assert isinstance(error, PreflightRefused)  # the alarm still fires
    _validate_all(lines)
    assert lines[-1]["result"]["status"] == "refused" and lines[-1]["result"]["exit_code"] == 3
    refused = [
        line["event"] for line in lines[:-1] if line["event"]["kind"] == "deployment.refused"
    ]
    assert refused and refused[0]["data"]["stage"] == "preflight"


def test_schema_lists_exactly_the_kinds_zdd_emits() -> None:
    from generator.config import Hooks
    from generator.events.core import HOOK_STAGES

    assert SCHEMA["$defs"]["kind"]["enum"] == list(KINDS)
    assert tuple(Hooks.model_fields) == HOOK_STAGES  # hook.STAGE and hook.STAGE.failed
    emitted: set[str] = set()
    pattern = re.compile(r"emit\(\s*\"([a-z_.]+)\"", re.MULTILINE)
    for path in (ROOT / "generator").rglob("*.py"):
        emitted |= set(pattern.findall(path.read_text(encoding="utf-8")))
    undocumented = emitted - set(KINDS)
    assert not undocumented, f"add to events.schema.json and events.core.KINDS: {undocumented}"


@pytest.mark.parametrize("json_mode", [True, False])
def test_the_cli_prints_the_result_last(aws, run_cli, tmp_path: Path, json_mode: bool) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(aws.outputs.model_copy(update={"ecs_services": None}).to_terraform_json())
    args = [
        "shift",
        "--env",
        str(ROOT / "environments" / "staging.yaml"),
        "--outputs",
        str(outputs),
    ]
    args += ["--store", str(tmp_path / "store"), "--steps", "100", "--bake", "0", "--poll", "1"]
    result = run_cli(*args, *(["--json"] if json_mode else []))
    assert result.exit_code == 0, result.stderr
    if json_mode:
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        _validate_all(lines)
        assert lines[-1]["result"]["status"] == "promoted"
    else:
        # shift names no version: the release is what the stack says green runs
        green = aws.outputs.versions["green"]
        assert re.match(
            rf"deployment \w+ {re.escape(green)}: promoted \(blue -> green in ", result.stdout
        )
        assert "weights blue 0% / green 100%" in result.stdout
