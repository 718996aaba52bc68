"""The plan guard: refuse plans that would touch the colour serving users.

Rules, for each resource change of a plan:

* ``no-op`` and ``read`` are harmless; a pure ``create`` is always allowed;
* anything on the idle colour is allowed;
* update, replace, delete (or forget) of a live-colour resource is refused;
* each change of a shared resource (the load balancer, its listeners and security
  groups, the cluster, the state backend...) gets a class (``serving.classify``):
  *safe while serving* is allowed, *touches what serves* is refused. Deletes,
  replacements and updates of attributes not known to be safe touch what serves.

A resource's colour comes from its module (``module.blue``, ``module.alarms_green``)
or, for plans of stacks laid out differently, from a ``zdd:colour`` tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.colours import COLOURS, Colour
from generator.infra.plan import PlanSummary, ResourceChange
from generator.infra.serving import SharedChange, classify


@dataclass(frozen=True)
class Violation:
    address: str
    actions: tuple[str, ...]
    reason: str

    def describe(self) -> str:
        return f"{self.address} [{', '.join(self.actions)}]: {self.reason}"


@dataclass(frozen=True)
class Verdict:
    live: Colour
    accepted: bool
    violations: tuple[Violation, ...] = ()
    allowed: tuple[str, ...] = field(default_factory=tuple)
    # Updates and replacements on the idle colour: a new release to shift to (CI uses it).
    idle: tuple[str, ...] = field(default_factory=tuple)
    # Every change of a shared resource, with its class and reason (plan output and CI).
    shared: tuple[SharedChange, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "live": self.live,
            "accepted": self.accepted,
            "violations": [
                {"address": v.address, "actions": list(v.actions), "reason": v.reason}
                for v in self.violations
            ],
            "allowed_changes": list(self.allowed),
            "idle_changes": list(self.idle),
            "shared_changes": [c.to_dict() for c in self.shared],
        }

    def shared_lines(self) -> list[str]:
        """One line per shared change: ``ADDRESS [ACTIONS]: CLASS: REASON``."""
        return [f"shared {c.describe()}" for c in self.shared]


def _first_module(path: str | None) -> str | None:
    """``blue`` of ``module.blue["x"].module.y.aws_lb.this``; None outside any module."""
    if not path or not path.startswith("module."):
        return None
    return re.split(r"[.\[]", path.removeprefix("module."), maxsplit=1)[0] or None


def colour_of(change: ResourceChange) -> Colour | None:
    """The colour a resource belongs to, or None when it is shared.

    The module comes from ``module_address`` or, for plans that only give an
    ``address``, from the address itself.
    """
    first = _first_module(change.module_address) or _first_module(change.address)
    if first:
        for colour in COLOURS:
            if first == colour or first.endswith(f"_{colour}"):
                return colour
    if change.colour_tag in COLOURS:
        return change.colour_tag
    return None


def judge(plan: PlanSummary, live: Colour) -> Verdict:
    """Apply the rules to every change of ``plan`` with ``live`` serving users."""
    violations: list[Violation] = []
    allowed: list[str] = []
    idle: list[str] = []
    shared: list[SharedChange] = []
    for change in plan.changes:
        if change.is_harmless:
            continue
        colour = colour_of(change)
        entry = f"{change.address} [{change.label}]"
        if colour is None:
            judged = classify(change)
            shared.append(judged)
            if judged.safe:
                allowed.append(entry)
            else:
                reason = f"shared by both colours; {judged.klass}: {judged.reason}"
                violations.append(Violation(change.address, change.actions, reason))
        elif change.is_create_only or colour != live:
            allowed.append(entry)
            if not change.is_create_only:
                idle.append(entry)
        else:
            violations.append(
                Violation(change.address, change.actions, f"belongs to the live colour {live}")
            )
    return Verdict(
        live, not violations, tuple(violations), tuple(allowed), tuple(idle), tuple(shared)
    )


def refusal_message(verdict: Verdict) -> str:
    lines = [
        f"plan refused: it would change what serves users (live colour: {verdict.live})",
        *(f"  - {v.describe()}" for v in verdict.violations),
        "Rerun with --allow-live-changes only if you accept downtime.",
    ]
    return "\n".join(lines)
