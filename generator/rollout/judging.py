"""What the bake tells analysing signals, and what it keeps of their verdicts.

A signal that judges a step's own data (``MetricAnalysis``) is told when each
step starts; a signal with verdicts per check has them journalled: the latest
ones on the deployment (``zdd status``) and, per step, the ones that decided it
(``zdd status --history``). Other signals are left alone.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from generator.colours import Colour
from generator.journal.model import JournalDoc
from generator.journal.verdicts import CheckVerdict, StepVerdicts, score
from generator.rollout.context import RunContext


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
