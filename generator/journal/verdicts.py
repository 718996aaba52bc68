"""Verdicts of metric analysis, as the journal keeps them.

``Deployment.verdicts`` holds the latest verdict of each check of the step being
baked (``zdd status``); ``Deployment.step_verdicts`` the ones that decided each
step (``zdd status --history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.journal.budget import SERIES_LIMIT

VerdictValue = Literal["pass", "marginal", "fail", "no data"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CheckVerdict(_Record):
    """One check's verdict at one poll: the comparison's metrics or a user check."""

    check: str  # "errors", "latency", or the name of a metric check
    verdict: VerdictValue
    final: bool = False  # False while the step's window is still filling
    detail: str = ""
    p_value: float | None = None
    effect: float | None = None  # new colour / live (rates or means); None if infinite
    periods: int = 0  # periods of data judged
    test: str | None = None  # the test that decided: "fisher", "mean z", "mann-whitney"
    # Per period of the window, the new colour's and live's value (5xx % or latency ms),
    # three significant digits, None where a period had no data: see compact_series.
    canary: list[float | None] | None = None
    live: list[float | None] | None = None


def compact_series(values: Sequence[float | None]) -> list[float | None]:
    """The last ``SERIES_LIMIT`` values, rounded to three significant digits: journal-sized."""
    out: list[float | None] = []
    for value in values[-SERIES_LIMIT:]:
        if value is None or value != value or value in (float("inf"), float("-inf")):
            out.append(None)
        else:
            out.append(float(f"{value:.3g}"))
    return out


class StepVerdicts(_Record):
    """The verdicts that decided one step."""

    step: int  # index in the schedule
    percent: int
    at: float
    score: float | None = None  # 0-100; None when no check had data
    verdicts: list[CheckVerdict] = Field(default_factory=list)


def score(verdicts: list[CheckVerdict]) -> float | None:
    """Kayenta-style score: pass counts 1, marginal 1/2, fail 0; no data is left out."""
    judged = [v for v in verdicts if v.verdict != "no data"]
    if not judged:
        return None
    points = sum(
        1.0 if v.verdict == "pass" else 0.5 if v.verdict == "marginal" else 0.0 for v in judged
    )
    return round(100 * points / len(judged), 1)
