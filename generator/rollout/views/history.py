"""The audit log of an environment: deployments and refusals, newest first, as a table.

Each line says which release went where, how it ended and why, how long it took
and who (or which CI job) ran it. Refusals (pre-flight, pre-traffic hooks,
migrations) are lines too: they are decisions people need to find later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.colours import Colour
from generator.events import iso
from generator.journal.model import Deployment, JournalDoc, Refusal
from generator.rollout.views.outcome import duration


@dataclass(frozen=True)
class HistoryLine:
    id: str | None
    release: str | None
    strategy: str
    from_colour: Colour | None
    to_colour: Colour | None
    outcome: str
    reason: str | None
    steps: list[int]
    started_at: str | None
    finished_at: str | None
    migrations: list[str]
    kind: str = "deployment"  # or refusal
    stage: str | None = None  # where a refusal happened
    duration_seconds: float | None = None
    actor: str | None = None
    ci_url: str | None = None
    versions: dict[Colour, str] = field(default_factory=dict)

    @classmethod
    def of(cls, d: Deployment) -> HistoryLine:
        took = None if d.finished_at is None else round(d.finished_at - d.started_at, 3)
        return cls(
            id=d.id,
            release=d.release,
            strategy=d.strategy,
            from_colour=d.from_colour,
            to_colour=d.to_colour,
            outcome=d.status,
            reason=d.outcome_reason,
            steps=[s.percent for s in d.schedule],
            started_at=iso(d.started_at, millis=False),
            finished_at=iso(d.finished_at, millis=False),
            migrations=list(d.migrations),
            duration_seconds=took,
            actor=d.actor.user if d.actor else None,
            ci_url=d.actor.ci_url if d.actor else None,
            versions=dict(d.versions or {}),
        )

    @classmethod
    def of_refusal(cls, r: Refusal) -> HistoryLine:
        return cls(
            id=r.deployment_id,
            release=r.release,
            strategy="",
            from_colour=r.from_colour,
            to_colour=r.to_colour,
            outcome="refused",
            reason=r.reason,
            steps=[],
            started_at=iso(r.at - r.waited_seconds, millis=False),
            finished_at=iso(r.at, millis=False),
            migrations=[],
            kind="refusal",
            stage=r.stage,
            duration_seconds=r.waited_seconds,
            actor=r.actor.user if r.actor else None,
            ci_url=r.actor.ci_url if r.actor else None,
        )


def history_lines(doc: JournalDoc) -> list[HistoryLine]:
    """Deployments and refusals, newest first."""
    timed = [(d.started_at, HistoryLine.of(d)) for d in doc.history]
    timed += [(r.at - r.waited_seconds, HistoryLine.of_refusal(r)) for r in doc.refusals]
    return [line for _, line in sorted(timed, key=lambda pair: pair[0], reverse=True)]


HEADERS = ("STARTED (UTC)", "ID", "RELEASE", "CHANGE", "OUTCOME", "STEPS", "TOOK", "BY", "REASON")


def _row(line: HistoryLine) -> tuple[str, ...]:
    change = f"{line.from_colour} -> {line.to_colour}" if line.to_colour else "-"
    outcome = line.outcome if line.stage is None else f"refused ({line.stage})"
    took = duration(line.duration_seconds) if line.duration_seconds is not None else "-"
    reason = line.reason or ""
    return (
        (line.started_at or "-").replace("T", " ").removesuffix("Z"),
        line.id or "-",
        line.release or "-",
        change,
        outcome,
        ",".join(map(str, line.steps)) or "-",
        took,
        line.actor or "-",
        reason,  # last and whole: it is what people look for
    )


def render_history(lines: list[HistoryLine]) -> list[str]:
    """A table with a header row; one line per deployment or refusal."""
    if not lines:
        return ["history: no deployments yet"]
    rows = [HEADERS, *(_row(line) for line in lines)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    return [
        ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)))
        + ("  " + row[-1]).rstrip()
        for row in rows
    ]
