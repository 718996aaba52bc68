"""Analysis verdicts in ``zdd status``: the latest per check, and per step in history."""

from __future__ import annotations

from typing import Any

from generator.journal.model import Deployment, JournalDoc
from generator.journal.verdicts import CheckVerdict, StepVerdicts


def latest_verdicts(doc: JournalDoc) -> dict[str, Any] | None:
    """The latest verdict of each check: of the deployment in progress, else the last one."""
    deployments = [d for d in [*doc.history, doc.current] if d is not None and d.step_verdicts]
    if not deployments:
        return None
    dep = deployments[-1]
    verdicts = dep.verdicts or dep.step_verdicts[-1].verdicts
    return {
        "deployment": dep.id,
        "step": dep.step_verdicts[-1].step + 1,
        "percent": dep.step_verdicts[-1].percent,
        "score": dep.step_verdicts[-1].score,
        "checks": [v.model_dump() for v in verdicts],
    }


def step_verdicts(doc: JournalDoc) -> dict[str, list[dict[str, Any]]]:
    """The verdicts that decided each step, by deployment id (newest first)."""
    deployments: list[Deployment] = [*doc.history, *([doc.current] if doc.current else [])]
    return {
        d.id: [s.model_dump() for s in d.step_verdicts]
        for d in reversed(deployments)
        if d.step_verdicts
    }


UNITS = {"errors": "% 5xx", "latency": "ms"}


def summary(v: CheckVerdict) -> str:
    """``fail by mean z, p=3.1e-07, x3.02``: the verdict, the test and effect that decided."""
    said = v.verdict if v.final else f"{v.verdict} so far"
    if v.test:
        said += f" by {v.test}"
    if v.p_value is not None:
        said += f", p={v.p_value:.2g}"
    if v.effect is not None:
        said += f", x{v.effect:.2f}"
    return said


def per_period(v: CheckVerdict) -> str:
    """``new 10, 11.9 vs live 1.02, - (% 5xx)``: the numbers of each period, oldest first."""

    def shown(values: list[float | None] | None) -> str:
        return ", ".join("-" if x is None else f"{x:g}" for x in values or [])

    return f"new {shown(v.canary)} vs live {shown(v.live)} ({UNITS.get(v.check, '')})"


def _line(v: CheckVerdict) -> str:
    state = v.verdict if v.final else f"{v.verdict} so far"
    line = f"    {v.check:12} {state:17} {v.detail}"
    if v.canary is not None and v.live is not None:
        line += f"; per period {per_period(v)}"
    return line


def render_latest(latest: dict[str, Any] | None) -> list[str]:
    if not latest:
        return []
    score = latest["score"]
    lines = [
        f"analysis of {latest['deployment']}, step {latest['step']} ({latest['percent']}%)"
        + (f", score {score:g}" if score is not None else "")
    ]
    lines += [_line(CheckVerdict.model_validate(v)) for v in latest["checks"]]
    return lines


def render_steps(steps: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines: list[str] = []
    for dep_id, items in steps.items():
        for item in items:
            step = StepVerdicts.model_validate(item)
            shown = f", score {step.score:g}" if step.score is not None else ""
            lines.append(f"  {dep_id} step {step.step + 1} ({step.percent}%){shown}:")
            lines += [_line(v) for v in step.verdicts]
    return lines
