"""The invariant every zdd run must leave behind, checked against the real listener and
the journal (read directly, not through any fault).

When a zdd process ends, by any path, exactly one of these holds:

1. the listener has all weight on one colour and the journal says which: its last
   deployment was promoted (the new colour) or rolled back (the old one); or
2. the journal keeps the deployment unfinished (in progress or rolling back) with
   weights or a pending intent that explain the listener as it is, the exit code is
   not 0, and `zdd resume` (or `zdd abort`, when the error says so) finishes it.

A *lie* is a journal or an exit code that disagrees with the listener; *stuck* is
a state that `zdd resume` cannot finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.colours import Colour
from generator.errors import ZddError
from generator.journal.model import Deployment, JournalDoc


@dataclass
class Ending:
    """How a run ended: its exit code and message, as the CLI would show them."""

    code: int
    message: str = ""
    escaped: bool = False  # an exception the CLI would show as an unexpected error

    @classmethod
    def of(cls, outcome: BaseException | None) -> Ending:
        if outcome is None:
            return cls(0)
        if isinstance(outcome, ZddError):
            return cls(outcome.exit_code, str(outcome))
        if isinstance(outcome, KeyboardInterrupt):
            return cls(130, "interrupted")
        return cls(1, f"{type(outcome).__name__}: {outcome}", escaped=True)


@dataclass
class Verdict:
    lies: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)


def live_colour(weights: dict[Colour, int]) -> Colour | None:
    total = sum(weights.values())
    return next((c for c, w in weights.items() if total and w == total), None)


def last_finished(doc: JournalDoc) -> Deployment | None:
    if doc.current is not None and doc.current.terminal:
        return doc.current
    return doc.history[-1] if doc.history else None


def ended_on(dep: Deployment) -> Colour:
    """Where a finished deployment left users: an undo (`zdd rollback`) on its ``to_colour``."""
    return dep.ended_on


def check_ending(
    weights: dict[Colour, int], doc: JournalDoc, ending: Ending, initial: Colour
) -> Verdict:
    """The invariant right after a run ended."""
    verdict = Verdict()
    dep = doc.current
    if ending.escaped and dep is not None and not dep.terminal:
        verdict.lies.append(f"an exception escaped a release in flight: {ending.message}")
    if dep is None or dep.terminal:
        last = last_finished(doc)
        # A stop signal after the promotion exits 130 ("interrupted"), which is true.
        if ending.code not in (0, 130) and last is not None and last.status == "promoted":
            verdict.lies.append(f"exit {ending.code} after a promotion: {ending.message}")
        expected = ended_on(last) if last is not None else initial
        live = live_colour(weights)
        if live != expected:
            says = f"{last.status} ({last.id})" if last else "nothing happened"
            verdict.lies.append(f"journal says {says} but the listener has {weights}")
        if ending.code == 0 and (last is None or last.status != "promoted"):
            verdict.lies.append("exit 0 without a promotion in the journal")
        return verdict
    explained = [dep.weights]
    if dep.pending is not None:
        explained += [dep.pending.before, dep.pending.after]
    if weights not in explained:
        verdict.lies.append(
            f"journal keeps {dep.id} {dep.status} with weights {dep.weights} and intent "
            f"{dep.pending}, but the listener has {weights}"
        )
    if ending.code == 0:
        verdict.lies.append(f"exit 0 while {dep.id} is still {dep.status}")
    return verdict


def check_finished(
    weights: dict[Colour, int], doc: JournalDoc, *, must_end_on: Colour | None
) -> Verdict:
    """After `zdd resume` (or `zdd abort`): one colour, and the journal agrees."""
    verdict = Verdict()
    live = live_colour(weights)
    if doc.current is not None and not doc.current.terminal:
        verdict.stuck.append(f"deployment {doc.current.id} still {doc.current.status}")
    if live is None:
        verdict.stuck.append(f"listener still split: {weights}")
    last = last_finished(doc)
    if live is not None and last is not None and ended_on(last) != live:
        verdict.lies.append(f"journal says {last.status} but {live} has the traffic")
    if must_end_on is not None and live is not None and live != must_end_on:
        verdict.lies.append(f"after an interrupted release, traffic moved on to {live}")
    return verdict
