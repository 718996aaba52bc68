"""Progress during waits, as data: what is awaited, how long is left, each signal's verdict.

Every poll of a wait (pre-flight grace, bake, gate) is reported as a ``*.poll``
event whose data follows one shape (``awaiting``, ``left_seconds``, ``verdicts``):
the live panel, the heartbeat lines and ``--json`` all read it. Changes of the
verdicts are also journalled (``signals.changed``) so that a report can draw
them as a state strip long after the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.colours import Colour
from generator.journal.model import Deployment
from generator.rollout.engine.context import RunContext
from generator.rollout.ports import Reading, SignalState

LEVEL_OF: dict[SignalState, str] = {"ok": "info", "unknown": "warning", "firing": "error"}
STATE_WORDS: dict[SignalState, str] = {"ok": "OK", "unknown": "not yet known", "firing": "FIRING"}


def verdicts(readings: Sequence[Reading]) -> list[dict[str, Any]]:
    return [
        {"signal": r.signal, "state": r.state, "detail": r.detail, "checks": dict(r.checks)}
        for r in readings
    ]


def overall(readings: Sequence[Reading]) -> SignalState:
    states = {r.state for r in readings}
    return "firing" if "firing" in states else ("unknown" if "unknown" in states else "ok")


def describe(readings: Sequence[Reading]) -> str:
    return "; ".join(r.detail or f"{r.signal} {r.state}" for r in readings) or "no signals"


class SignalLog:
    """Journals the verdicts of a colour's signals whenever they change."""

    def __init__(self) -> None:
        self._last: object = None

    def note(
        self, ctx: RunContext, dep: Deployment, readings: Sequence[Reading], phase: str
    ) -> None:
        key = [(r.signal, r.state, sorted(r.checks.items())) for r in readings]
        if key == self._last:
            return
        self._last = key
        state = overall(readings)
        ctx.emit(
            "signals.changed",
            f"{dep.to_colour} signals {STATE_WORDS[state]}: {describe(readings)}",
            LEVEL_OF[state],
            dep=dep,
            phase=phase,
            state=state,
            verdicts=verdicts(readings),
        )


class BakeProgress:
    """What one bake reports: each poll (``bake.poll``) and each change of verdicts."""

    def __init__(
        self, ctx: RunContext, dep: Deployment, index: int, started: float, deadline: float
    ) -> None:
        self.ctx, self.dep, self.index = ctx, dep, index
        self.started, self.deadline = started, deadline
        self.log = SignalLog()

    def verdicts(self, readings: Sequence[Reading], *, at_gate: bool) -> None:
        self.log.note(self.ctx, self.dep, readings, "gate" if at_gate else "bake")

    def poll(
        self,
        readings: Sequence[Reading],
        *,
        now: float,
        unknown_since: float | None,
        gate_since: float | None,
    ) -> None:
        """One ``bake.poll``: during the bake, or (``gate_since``) while waiting at a gate."""
        ctx, dep = self.ctx, self.dep
        step = dep.schedule[self.index]
        where = f"{step.percent}% on {dep.to_colour}"
        data: dict[str, Any] = {
            "phase": "bake" if gate_since is None else "gate",
            "percent": step.percent,
            "colour": dep.to_colour,
            "step": self.index + 1,
            "steps": len(dep.schedule),
            "elapsed_seconds": round(now - self.started, 3),
            "verdict": "ok" if unknown_since is None else "wait",
            "verdicts": verdicts(readings),
        }
        if gate_since is not None:
            left = max(0.0, gate_since + ctx.settings.gate_timeout_seconds - now)
            data["awaiting"] = f"`zdd promote` at the {step.percent}% gate"
            message = (
                f"at the {step.percent}% gate: waiting for `zdd promote` (or `zdd abort`) "
                f"for {now - gate_since:.0f}s; rolls back in {left:.0f}s"
            )
        else:
            left = max(0.0, self.deadline - now)
            data["awaiting"] = f"bake of {where}"
            message = f"baking {where}: signals OK, {left:.0f}s left"
        if unknown_since is not None:
            grace_left = max(0.0, unknown_since + ctx.settings.alarm_grace_seconds - now)
            data["grace_left_seconds"] = round(grace_left, 3)
            message = (
                f"baking {where}: not yet known ({describe(readings)}), {left:.0f}s left; "
                f"fails closed in {grace_left:.0f}s unless the signals vouch"
            )
        data["left_seconds"] = round(left, 3)
        ctx.emit("bake.poll", message, dep=dep, **data)


def report_preflight_poll(
    ctx: RunContext,
    target: Colour,
    readings: Sequence[Reading],
    *,
    now: float,
    unknown_since: float,
) -> None:
    """One ``preflight.poll``: alarm data not there yet, waiting within the grace period."""
    left = max(0.0, unknown_since + ctx.settings.alarm_grace_seconds - now)
    ctx.emit(
        "preflight.poll",
        f"pre-flight: {target} not yet known ({describe(readings)}); "
        f"waiting up to {left:.0f}s more before refusing",
        phase="preflight",
        colour=target,
        awaiting=f"signals of {target} to vouch for it",
        left_seconds=round(left, 3),
        elapsed_seconds=round(now - unknown_since, 3),
        verdict="wait",
        verdicts=verdicts(readings),
    )
