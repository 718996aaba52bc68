"""Two known releases, journalled as the engine journals them, at fixed times and ids.

Used where a report must be the same on every run: the tests that read its
chart back from a browser, and the fingerprint that says whether the committed
screenshot in ``docs/`` still shows what the report renderer draws.
"""

from __future__ import annotations

import hashlib
from typing import Any

from generator.journal.model import Actor, Deployment, JournalEvent, Step
from generator.journal.verdicts import CheckVerdict, StepVerdicts
from generator.report.model import Report

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-staging/1/2"
ACTOR = Actor(user="alice", host="ci-runner-7", command="shift", ci_url=None)
FIRED = "alarm fired: shop-staging-blue-5xx-rate: 5xx rate 23% > 5%"
REASON = f"blue: {FIRED}"


def _verdicts(state: str, detail: str) -> dict[str, Any]:
    verdicts = [{"signal": "alarms", "state": state, "detail": detail, "checks": {}}]
    return {"phase": "bake", "state": state, "verdicts": verdicts}


def _weights(blue: int) -> dict[str, Any]:
    return {"weights": {"blue": blue, "green": 100 - blue}}


OK = _verdicts("ok", "alarms OK")
UNKNOWN = _verdicts("unknown", "alarms INSUFFICIENT_DATA or missing (shop-staging-green-p99)")

# (seconds after the start, kind, message, data)
V2_EVENTS: list[tuple[float, str, str, dict[str, Any]]] = [
    (0, "deployment.start", "deployment 2a7c91e0d4: v2 blue -> green by steps", {}),
    (1, "step.verified", "step: blue 90% / green 10% verified", _weights(90)),
    (1, "bake.start", "baking 10% on green for 60s", {}),
    (1, "signals.changed", "green signals OK: alarms OK", OK),
    (21, "signals.changed", "green signals not yet known", UNKNOWN),
    (41, "signals.changed", "green signals OK: alarms OK", OK),
    (61, "gate.waiting", "baked 10%: waiting for `zdd promote` (or `zdd abort`)", {}),
    (121, "gate.passed", "gate at 10% passed by zdd promote", {}),
    (121, "bake.passed", "baked 10% on green", {}),
    (122, "step.verified", "step: blue 50% / green 50% verified", _weights(50)),
    (122, "bake.start", "baking 50% on green for 60s", {}),
    (122, "signals.changed", "green signals OK: alarms OK", OK),
    (182, "bake.passed", "baked 50% on green", {}),
    (183, "step.verified", "step: blue 0% / green 100% verified", _weights(0)),
    (183, "bake.start", "baking 100% on green for 60s", {}),
    (183, "signals.changed", "green signals OK: alarms OK", OK),
    (243, "bake.passed", "baked 100% on green", {}),
    (243, "deployment.promoted", "green is live (blue 0% / green 100%); blue kept warm", {}),
]
V3_EVENTS: list[tuple[float, str, str, dict[str, Any]]] = [
    (0, "deployment.start", "deployment 9f03be21c7: v3 green -> blue by canary", {}),
    (1, "step.verified", "step: blue 10% / green 90% verified", _weights(10)),
    (1, "bake.start", "baking 10% on blue for 60s", {}),
    (1, "signals.changed", "blue signals OK: alarms OK", OK),
    (31, "signals.changed", "blue signals FIRING", _verdicts("firing", FIRED)),
    (31, "rollback.start", f"rolling back to green: {REASON}", {}),
    (32, "rollback.verified", "rollback: blue 0% / green 100% verified", _weights(0)),
    (32, "rollback.done", f"rolled back: green has all traffic again ({REASON})", {}),
]


def _numbers(at: float, errors: CheckVerdict, latency: CheckVerdict) -> list[StepVerdicts]:
    return [StepVerdicts(step=0, percent=10, at=at, score=None, verdicts=[errors, latency])]


PROMOTED_NUMBERS = (
    CheckVerdict(
        check="errors",
        verdict="pass",
        final=True,
        detail="5xx 0.95% (2/210) vs live 0.98% (19/1940), x0.97, fisher p=0.62",
        p_value=0.62,
        effect=0.97,
        periods=2,
        test="fisher",
        canary=[0.8, 1.1],
        live=[1.0, 0.95],
    ),
    CheckVerdict(
        check="latency",
        verdict="pass",
        final=True,
        detail="latency 84 ms vs live 82 ms (x1.02, rank-biserial +0.00), mann-whitney p=0.5",
        p_value=0.5,
        effect=1.02,
        periods=2,
        test="mann-whitney",
        canary=[82.0, 85.0],
        live=[80.0, 84.0],
    ),
)
ROLLED_BACK_NUMBERS = (
    CheckVerdict(
        check="errors",
        verdict="fail",
        detail="5xx 23.00% (23/100) vs live 1.00% (9/900), x23.00, fisher p=3e-19 < 0.00025",
        p_value=3e-19,
        effect=23.0,
        periods=1,
        test="fisher",
        canary=[23.0],
        live=[1.0],
    ),
    CheckVerdict(
        check="latency",
        verdict="pass",
        detail="latency 250 ms vs live 90 ms (x2.78, rank-biserial +1.00), mean z p=0.002",
        p_value=0.002,
        effect=2.78,
        periods=1,
        test="mean z",
        canary=[250.0],
        live=[90.0],
    ),
)


def _events(
    start: float, table: list[tuple[float, str, str, dict[str, Any]]]
) -> list[JournalEvent]:
    return [JournalEvent(at=start + t, kind=k, message=m, data=d) for t, k, m, d in table]


def promoted_release() -> Deployment:
    """v2, blue -> green: 10% (bake 60 s, then a gate), 50%, 100%; promoted."""
    return Deployment(
        id="2a7c91e0d4",
        release="v2",
        strategy="steps",
        from_colour="blue",
        to_colour="green",
        listener_arn=LISTENER,
        schedule=[
            Step(percent=10, bake_seconds=60, gate=True),
            Step(percent=50, bake_seconds=60),
            Step(percent=100, bake_seconds=60),
        ],
        status="promoted",
        step_index=2,
        baked_index=2,
        weights={"blue": 0, "green": 100},
        started_at=T0,
        finished_at=T0 + 243,
        migrations=["0007_add_orders_note.sql"],
        events=_events(T0, V2_EVENTS),
        actor=ACTOR,
        versions={"blue": "v1", "green": "v2"},
        step_verdicts=_numbers(T0 + 121, *PROMOTED_NUMBERS),
    )


def rolled_back_release() -> Deployment:
    """v3, green -> blue by canary: its 5xx alarm fires 30 s into the 10% bake."""
    start = T0 + 600
    return Deployment(
        id="9f03be21c7",
        release="v3",
        strategy="canary",
        from_colour="green",
        to_colour="blue",
        listener_arn=LISTENER,
        schedule=[Step(percent=10, bake_seconds=60), Step(percent=100, bake_seconds=60)],
        status="rolled_back",
        step_index=0,
        weights={"blue": 0, "green": 100},
        started_at=start,
        finished_at=start + 32,
        outcome_reason=REASON,
        events=_events(start, V3_EVENTS),
        actor=ACTOR,
        versions={"blue": "v3", "green": "v2"},
        step_verdicts=_numbers(start + 31, *ROLLED_BACK_NUMBERS),
    )


def sample_report() -> Report:
    return Report("shop", "staging", [promoted_release(), rolled_back_release()], [], T0 + 900)


def fingerprint() -> str:
    """What the report renderer draws today, as a hash of the sample's HTML."""
    from generator.report.html import render_html

    return hashlib.sha256(render_html(sample_report()).encode()).hexdigest()[:16]
