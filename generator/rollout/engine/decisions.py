"""Decisions of a run: assessing the signals, deciding a rollback, keeping verdicts.

``assess`` is the one rule for "fire / wait / fail closed after the grace period",
used before any weight moves and during every bake; ``Rollback`` is raised to
decide a rollback and carries its reason.

A signal that judges a step's own data (``MetricAnalysis``) is told when each
step starts; a signal with verdicts per check has them journalled: the latest
ones on the deployment (``zdd status``) and, per step, the ones that decided it
(``zdd status --history``). Other signals are left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from generator.colours import Colour
from generator.errors import RefusedError
from generator.journal.model import Deployment, JournalDoc, Request, stronger_request
from generator.journal.verdicts import CheckVerdict, StepVerdicts, score
from generator.rollout.engine.context import RunContext
from generator.rollout.ports import Reading

RolledBackStatus = Literal["rolled_back", "aborted"]


class Rollback(Exception):
    """Raised inside a run to decide a rollback; carries the reason people will read."""

    def __init__(self, reason: str, *, status: RolledBackStatus = "rolled_back") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def refuse_downgrade(dep: Deployment, what: Request) -> None:
    """`zdd promote` after `zdd abort` (journalled, not acted on yet) is refused (exit 3):
    the abort stands (``journal.model.stronger_request``)."""
    if stronger_request(dep.request, what) != what:
        raise RefusedError(
            f"deployment {dep.id}: an abort is pending (`zdd abort` was asked for); "
            f"`zdd {what}` never overrides it. The deployment rolls back to {dep.from_colour}"
        )


@dataclass(frozen=True)
class Assessment:
    decision: Literal["ok", "wait", "fail"]
    reason: str
    unknown_since: float | None  # when the signals first stopped vouching, if they have


def assess(
    readings: Sequence[Reading], *, now: float, unknown_since: float | None, grace: float
) -> Assessment:
    """Firing fails at once; unknown waits, then fails closed after ``grace`` seconds."""
    firing = [r.detail for r in readings if r.state == "firing"]
    if firing:
        return Assessment("fail", "; ".join(firing), unknown_since)
    unknown = [r.detail for r in readings if r.state == "unknown"]
    if not unknown:
        return Assessment("ok", "; ".join(r.detail for r in readings), None)
    since = now if unknown_since is None else unknown_since
    if now - since >= grace:
        return Assessment(
            "fail", f"{'; '.join(unknown)} for {now - since:g}s; failing closed", since
        )
    return Assessment("wait", "; ".join(unknown), since)


@runtime_checkable
class StepAware(Protocol):
    def start_step(self, colour: Colour, percent: int, started_at: float, bake: float) -> None: ...


@runtime_checkable
class VerdictSource(Protocol):
    latest: list[CheckVerdict]


def begin_step(ctx: RunContext, doc: JournalDoc, index: int, started_at: float) -> None:
    """Tell step-aware signals that step ``index``'s weights are in place."""
    dep = doc.current
    assert dep is not None
    step = dep.schedule[index]
    for signal in ctx.signals:
        if isinstance(signal, StepAware):
            signal.start_step(dep.to_colour, step.percent, started_at, step.bake_seconds)
    dep.verdicts = []


def record_verdicts(ctx: RunContext, doc: JournalDoc, index: int) -> None:
    """Journal the latest verdicts when they changed (at most once per new period)."""
    dep = doc.current
    assert dep is not None
    latest = [v for s in ctx.signals if isinstance(s, VerdictSource) for v in s.latest]
    if latest == dep.verdicts:
        return
    dep.verdicts = latest
    entry = StepVerdicts(
        step=index,
        percent=dep.schedule[index].percent,
        at=ctx.clock.now(),
        score=score(latest),
        verdicts=latest,
    )
    if dep.step_verdicts and dep.step_verdicts[-1].step == index:
        dep.step_verdicts[-1] = entry
    else:
        dep.step_verdicts.append(entry)
    ctx.save(doc)
