"""The ports of the traffic engine: what it needs from the world, as protocols.

The engine imports these and never an adapter. ``aws/`` holds the adapters behind
them (the ALB listener router, CloudWatch alarms, target health, metric analysis);
a new router or signal is a new adapter plus one line in ``aws/wiring``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from generator.colours import COLOURS, Colour, other_colour
from generator.errors import InputError

# -- where traffic goes -----------------------------------------------------------


def weights_for(target: Colour, percent: int) -> dict[Colour, int]:
    """Weights that send ``percent`` of traffic to ``target`` and the rest to the other."""
    if not 0 <= percent <= 100:
        raise InputError(f"weights: percent must be 0-100 (got {percent})")
    return {target: percent, other_colour(target): 100 - percent}


def format_weights(weights: dict[Colour, int]) -> str:
    """Weights for people: ``blue 90% / green 10%`` when they add up to 100, otherwise the
    exact weights and their shares, ``blue 199 / green 1 (99.5% / 0.5%)``. For display
    only: decisions compare the exact weights."""
    total = sum(weights.get(c, 0) for c in COLOURS)
    if total == 100:
        return " / ".join(f"{c} {weights.get(c, 0)}%" for c in COLOURS)
    exact = " / ".join(f"{c} {weights.get(c, 0)}" for c in COLOURS)
    if total <= 0:
        return exact
    shares = " / ".join(f"{_share(weights.get(c, 0), total)}%" for c in COLOURS)
    return f"{exact} ({shares})"


def _share(weight: int, total: int) -> str:
    """A share as people read it; never 0 or 100 unless it is exactly that."""
    share = 100 * weight / total
    shown = round(share, 1)
    if shown == 0 < weight:
        return "<0.1"
    if shown == 100 and weight < total:
        return ">99.9"
    return f"{shown:g}"


@dataclass(frozen=True)
class ListenerState:
    """A listener as AWS reported it. ``weights`` are exact (0-999 per target group, as
    AWS returns them, never rounded): every decision compares them exactly, so any
    weight at all on the other colour is a split."""

    arn: str
    action: dict[str, Any]  # the forward default action, as AWS returned it
    weights: dict[Colour, int]

    @property
    def live(self) -> Colour | None:
        """The colour with all the weight (every other colour at exactly 0), if one has it."""
        total = sum(self.weights.values())
        for colour, weight in self.weights.items():
            if total and weight == total:
                return colour
        return None

    @property
    def stickiness(self) -> dict[str, Any] | None:
        cfg = self.action.get("ForwardConfig", {}).get("TargetGroupStickinessConfig")
        return dict(cfg) if cfg else None


class TrafficRouter(Protocol):
    """Where production traffic goes: read it, move it (verified), aim test traffic."""

    @property
    def arn(self) -> str:
        """The production listener (or rule) this router moves."""
        ...

    def read(self) -> ListenerState:
        """The weights as AWS reports them now."""
        ...

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState:
        """Move to ``weights``; return what AWS answered, which must carry them."""
        ...

    def point_test_listener(self, colour: Colour) -> None:
        """Send test traffic (never users) to ``colour``."""
        ...


# -- what vouches for a colour ----------------------------------------------------
# The engine polls a list of ``HealthSignal`` objects and never knows what is behind
# one. Each poll answers ok, firing or unknown; ``engine.decisions.assess`` turns the
# answers into one decision.

SignalState = Literal["ok", "firing", "unknown"]
Phase = Literal["preflight", "bake"]
BOTH_PHASES: frozenset[Phase] = frozenset({"preflight", "bake"})


@dataclass(frozen=True)
class Reading:
    """One signal's answer for one colour at one poll."""

    signal: str
    state: SignalState
    detail: str = ""
    checks: dict[str, str] = field(default_factory=dict)  # e.g. each alarm's state
    throttled: bool = False  # unknown because AWS throttled the read: poll less often


class HealthSignal(Protocol):
    """Something that can vouch for a colour, or refuse to."""

    @property
    def name(self) -> str: ...

    @property
    def phases(self) -> frozenset[Phase]:
        """When it is polled: before any weight moves, during bakes, or both."""
        ...

    def poll(self, colour: Colour) -> Reading:
        """Never raises for a failure to read: that is ``unknown`` (fail closed)."""
        ...


# -- time -------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
