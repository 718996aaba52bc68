"""What a report says about each deployment, in words: shared by the HTML and Markdown."""

from __future__ import annotations

from dataclasses import dataclass

from generator.events import iso
from generator.journal.model import Deployment
from generator.report.timeline import Timeline
from generator.rollout.views.outcome import duration

OUTCOME_WORDS = {
    "promoted": "promoted",
    "rolled_back": "rolled back",
    "aborted": "aborted",
    "in_progress": "in progress",
    "waiting_gate": "waiting at a gate",
    "rolling_back": "rolling back",
}


@dataclass(frozen=True)
class Facts:
    title: str
    outcome: str  # the status in words
    reason: str | None  # why it rolled back (or was aborted), in words
    rows: list[tuple[str, str]]  # label, value


def outcome_words(dep: Deployment) -> str:
    return OUTCOME_WORDS.get(dep.status, dep.status)


def schedule_words(dep: Deployment) -> str:
    steps = [
        f"{s.percent}% (bake {s.bake_seconds:g}s{', gate' if s.gate else ''})" for s in dep.schedule
    ]
    return f"{dep.strategy}: " + " → ".join(steps)


def ran_by(dep: Deployment) -> str:
    actor = dep.actor
    if actor is None:
        return "unknown (journalled before zdd recorded it)"
    command = "zdd" if actor.command in ("", "zdd") else f"zdd {actor.command}"
    return f"{actor.user}, `{command}`" + (f" on {actor.host}" if actor.host else "")


def facts(tl: Timeline) -> Facts:
    dep = tl.dep
    release = dep.release or "traffic only"
    versions = " · ".join(f"{c} {v}" for c, v in sorted((dep.versions or {}).items())) or "-"
    durations = [f"total {duration(tl.end)}", f"baking {duration(tl.total('bake'))}"]
    if tl.total("gate"):
        durations.append(f"at gates {duration(tl.total('gate'))}")
    if tl.total("rollback") or dep.status in ("rolled_back", "aborted"):
        durations.append(f"rolling back {duration(tl.total('rollback'))}")
    rows = [
        ("deployment", dep.id),
        ("release", release),
        ("traffic", f"{dep.from_colour} → {dep.to_colour}"),
        ("schedule", schedule_words(dep)),
        ("versions", versions),
        ("migrations", ", ".join(dep.migrations) or "none"),
        *([("spec changes", "; ".join(dep.changes))] if dep.changes else []),
        ("started", iso(dep.started_at, millis=False) or "-"),
        ("finished", iso(dep.finished_at, millis=False) or "not yet"),
        ("durations", "; ".join(durations)),
        ("run by", ran_by(dep)),
    ]
    if dep.actor is not None and dep.actor.ci_url:
        rows.append(("CI job", dep.actor.ci_url))
    reason = (
        dep.outcome_reason if dep.status in ("rolled_back", "aborted", "rolling_back") else None
    )
    title = f"{release}: {dep.from_colour} → {dep.to_colour}, {outcome_words(dep)}"
    return Facts(title=title, outcome=outcome_words(dep), reason=reason, rows=rows)
