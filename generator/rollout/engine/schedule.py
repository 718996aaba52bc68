"""Strategies turned into schedules: the list of (percent, bake, gate) steps."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from generator.config import Strategy, StrategyType
from generator.config.rollout import STRATEGIES as STRATEGIES
from generator.errors import InputError
from generator.journal.model import Step


@dataclass(frozen=True)
class Overrides:
    """Command-line overrides of the environment's strategy, for one run."""

    strategy: StrategyType | None = None
    steps: list[int] | None = None
    bake_seconds: float | None = None
    poll_seconds: float | None = None


def parse_steps(text: str) -> list[int]:
    """``--steps 10,50,100``: strictly increasing percentages ending at 100."""
    try:
        steps = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(
            f"--steps: expected percentages such as 10,50,100 (got {text!r})"
        ) from None
    if not steps or steps[-1] != 100 or any(b <= a for a, b in itertools.pairwise(steps)):
        raise InputError(f"--steps: must increase and end at 100 (got {steps})")
    if steps[0] < 1:
        raise InputError(f"--steps: percentages must be 1-100 (got {steps})")
    return steps


def _seconds(flag: str, value: float, low: float, high: float, *, low_open: bool = False) -> float:
    """A finite number of seconds within the schema's bounds (``nan`` and ``inf`` are not)."""
    above = value > low if low_open else value >= low
    if not math.isfinite(value) or not above or value > high:
        lowest = f"more than {low:g}" if low_open else f"{low:g} or more"
        raise InputError(f"{flag}: must be {lowest} and at most {high:g} seconds (got {value})")
    return value


def effective_strategy(strategy: Strategy, overrides: Overrides) -> Strategy:
    update: dict[str, object] = {}
    if overrides.strategy is not None:
        update["type"] = overrides.strategy
    if overrides.steps is not None:
        update["steps"] = overrides.steps
        update.setdefault("type", "steps")
    if overrides.bake_seconds is not None:
        update["bake_seconds"] = _seconds("--bake", overrides.bake_seconds, 0, 86400)
    if overrides.poll_seconds is not None:
        update["poll_seconds"] = _seconds("--poll", overrides.poll_seconds, 0, 3600, low_open=True)
    merged = strategy.model_copy(update=update)
    if merged.type == "steps" and not merged.steps:
        raise InputError("--strategy steps needs --steps (or strategy.steps in the environment)")
    return merged


def build_schedule(strategy: Strategy) -> list[Step]:
    """The steps a strategy takes, each with its bake time and gate."""
    bake = strategy.bake_seconds
    gates = set(strategy.gates)
    return [
        Step(
            percent=s.percent,
            bake_seconds=bake if s.bake_seconds is None else s.bake_seconds,
            gate=s.gate or s.percent in gates,
        )
        for s in strategy.step_specs()
    ]


def describe_schedule(schedule: list[Step]) -> str:
    parts = []
    for s in schedule:
        part = f"{s.percent}% (bake {s.bake_seconds:g}s{', gate' if s.gate else ''})"
        parts.append(part)
    return " -> ".join(parts)
