"""A deployment's journal as a timeline: weights over time, windows, verdicts, markers.

Everything is derived from the journalled events (``step.verified`` and
``rollback.verified`` carry the verified weights, ``signals.changed`` the
verdicts), with times in seconds since the deployment started.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.colours import COLOURS, Colour
from generator.journal.model import Deployment, JournalEvent

# What ends a window that an event opened.
BAND_OPENERS = {"bake.start": "bake", "gate.waiting": "gate", "rollback.start": "rollback"}
BAND_CLOSERS = {
    "bake": ("bake.passed", "gate.waiting", "rollback.start", "promote.now", "step.verified"),
    "gate": ("gate.passed", "bake.passed", "rollback.start", "promote.now"),
    "rollback": ("rollback.done",),
}
MARKED = {
    "deployment.start": "start",
    "step.verified": "step",
    "gate.waiting": "gate",
    "gate.passed": "gate passed",
    "promote.now": "promote",
    "rollback.start": "rollback",
    "rollback.done": "rolled back",
    "deployment.promoted": "promoted",
}


@dataclass(frozen=True)
class Band:
    kind: str  # bake, gate, rollback
    start: float
    end: float
    label: str


@dataclass(frozen=True)
class StateSpan:
    signal: str
    state: str  # ok, unknown, firing
    start: float
    end: float
    detail: str


@dataclass(frozen=True)
class Marker:
    number: int
    at: float
    kind: str
    label: str  # short, drawn on the chart
    message: str  # in words, listed under the chart
    level: str


@dataclass
class Timeline:
    dep: Deployment
    end: float  # seconds from start to the last thing known
    series: dict[Colour, list[tuple[float, int]]]  # step-chart vertices
    bands: list[Band] = field(default_factory=list)
    states: list[StateSpan] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)

    @property
    def signals(self) -> list[str]:
        return list(dict.fromkeys(span.signal for span in self.states))

    def total(self, kind: str) -> float:
        return sum(b.end - b.start for b in self.bands if b.kind == kind)


def _rel(dep: Deployment, event: JournalEvent) -> float:
    return max(0.0, event.at - dep.started_at)


def weight_series(dep: Deployment, end: float) -> dict[Colour, list[tuple[float, int]]]:
    """Vertices of a step chart per colour: flat until a verified move, then vertical."""
    weights: dict[Colour, int] = {dep.from_colour: 100, dep.to_colour: 0}
    series: dict[Colour, list[tuple[float, int]]] = {c: [(0.0, weights[c])] for c in COLOURS}
    for event in dep.events:
        moved = event.data.get("weights")
        if not event.kind.endswith(".verified") or not isinstance(moved, dict):
            continue
        t = _rel(dep, event)
        for colour in COLOURS:
            new = int(moved.get(colour, 0))
            if new != weights[colour]:
                series[colour] += [(t, weights[colour]), (t, new)]
                weights[colour] = new
    for colour in COLOURS:
        series[colour].append((end, weights[colour]))
    return series


def bands(dep: Deployment, end: float) -> list[Band]:
    found: list[Band] = []
    open_at: dict[str, tuple[float, str]] = {}
    for event in dep.events:
        t = _rel(dep, event)
        for kind, (start, label) in list(open_at.items()):
            if event.kind in BAND_CLOSERS[kind]:
                found.append(Band(kind, start, t, label))
                del open_at[kind]
        opened = BAND_OPENERS.get(event.kind)
        if opened is not None and opened not in open_at:
            open_at[opened] = (t, _band_label(opened, event))
    found += [Band(kind, start, end, label) for kind, (start, label) in open_at.items()]
    return sorted(found, key=lambda b: b.start)


def _band_label(kind: str, event: JournalEvent) -> str:
    if kind == "rollback":
        return "rolling back"
    return event.message


def states(dep: Deployment, end: float) -> list[StateSpan]:
    """Each signal's verdict over time, from ``signals.changed`` until the next or the end."""
    changes = [e for e in dep.events if e.kind == "signals.changed"]
    stop = next((_rel(dep, e) for e in dep.events if e.kind == "rollback.done"), end)
    spans: list[StateSpan] = []
    for i, event in enumerate(changes):
        start = _rel(dep, event)
        until = _rel(dep, changes[i + 1]) if i + 1 < len(changes) else stop
        for verdict in event.data.get("verdicts") or []:
            spans.append(
                StateSpan(
                    str(verdict.get("signal", "signals")),
                    str(verdict.get("state", "unknown")),
                    start,
                    max(start, until),
                    str(verdict.get("detail", "")),
                )
            )
    return spans


def markers(dep: Deployment) -> list[Marker]:
    found: list[Marker] = []
    for event in dep.events:
        label = MARKED.get(event.kind)
        if event.kind.startswith("hook.") and event.kind.endswith(".failed"):
            label = "hook failed"
        if event.kind == "signals.changed" and event.data.get("state") == "firing":
            label = "firing"
        if label is None:
            continue
        if event.kind == "step.verified":
            label = f"{event.data.get('weights', {}).get(dep.to_colour, '?')}%"
        level = _level(event)
        found.append(
            Marker(len(found) + 1, _rel(dep, event), event.kind, label, event.message, level)
        )
    return found


def _level(event: JournalEvent) -> str:
    if event.kind in ("rollback.start", "rollback.done") or event.kind.endswith(".failed"):
        return "error"
    if event.kind == "signals.changed":
        return "error"
    if event.kind in ("gate.waiting",):
        return "warning"
    return "success" if event.kind in ("deployment.promoted", "step.verified") else "info"


def timeline(dep: Deployment) -> Timeline:
    """Everything the report draws for ``dep``."""
    last = max([dep.started_at, *(e.at for e in dep.events)])
    end = max(0.0, (dep.finished_at or last) - dep.started_at, last - dep.started_at)
    return Timeline(
        dep=dep,
        end=end,
        series=weight_series(dep, end),
        bands=bands(dep, end),
        states=states(dep, end),
        markers=markers(dep),
    )
