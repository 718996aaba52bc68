"""Verdicts from series: the 5xx comparison with the live colour and the metric checks
(latency's verdict, with its several tests, is in ``analysis.latency``).

Pure functions. A window is the list of period starts judged so far; ``look``
is how many of the bake's ``looks`` periods have arrived. The comparison's
significance level at each look comes from ``stats.look_alpha``, so a canary no
worse than live fails a metric with probability at most ``alpha`` per step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from generator.config.analysis import Compare, MetricCheck
from generator.config.conditions import parse_condition
from generator.journal.verdicts import CheckVerdict, compact_series
from generator.rollout.analysis.queries import Series
from generator.rollout.analysis.stats import compare_proportions, look_alpha


@dataclass(frozen=True)
class Look:
    periods: list[int]  # starts of the complete periods judged
    index: int  # 1-based: how many periods are complete
    looks: int  # periods in the whole bake

    @property
    def final(self) -> bool:
        return self.index >= self.looks


def finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _total(series: Series, periods: Sequence[int]) -> int:
    # The ALB publishes no 5xx datapoint for a minute without 5xx: missing is zero.
    return round(sum(series.get(p, 0.0) for p in periods))


def _rates(requests: Series, errors: Series, periods: Sequence[int]) -> list[float | None]:
    """5xx per request in percent, per period; None for a period without its request count."""
    out: list[float | None] = []
    for p in periods:
        n = requests.get(p)
        out.append(100 * min(errors.get(p, 0.0), n) / n if n else None)
    return compact_series(out)


def compare_errors(
    config: Compare, look: Look, canary: tuple[Series, Series], live: tuple[Series, Series]
) -> CheckVerdict:
    """Fisher's exact test on the cumulative 5xx and request counts of the window.

    A period counts once both colours' request counts have arrived: the 5xx count
    of a period without a request count is unknown, not zero. The test runs at
    every look, so a gross regression fails at the first period that shows it.
    """
    (req_c, err_c), (req_l, err_l) = canary, live
    arrived = [p for p in look.periods if p in req_c and p in req_l]
    n_c, n_l = _total(req_c, arrived), _total(req_l, arrived)
    e_c, e_l = min(_total(err_c, arrived), n_c), min(_total(err_l, arrived), n_l)
    base = {
        "check": "errors",
        "final": look.final,
        "periods": len(arrived),
        "canary": _rates(req_c, err_c, look.periods),
        "live": _rates(req_l, err_l, look.periods),
    }
    if n_c < config.min_requests or n_l < config.min_requests:
        detail = f"{n_c} requests on the new colour, {n_l} on live; {config.min_requests} needed"
        return CheckVerdict(verdict="no data", detail=detail, **base)
    result = compare_proportions(e_c, n_c, e_l, n_l)
    alpha = look_alpha(config.alpha, look.index, look.looks)
    ratio = result.ratio
    shown = f"x{ratio:.2f}" if math.isfinite(ratio) else "live had none"
    detail = (
        f"5xx {100 * result.rate_a:.2f}% ({e_c}/{n_c}) vs live {100 * result.rate_b:.2f}% "
        f"({e_l}/{n_l}), {shown}, fisher p={result.p_value:.2g}"
    )
    verdict = decide(result.p_value, ratio, alpha, config.marginal_alpha, config.errors.min_ratio)
    if verdict == "fail":
        detail += f" < {alpha:.2g}"
    return CheckVerdict(
        verdict=verdict,
        detail=detail,
        p_value=result.p_value,
        effect=finite(ratio),
        test="fisher",
        **base,
    )


def decide(p: float, ratio: float, alpha: float, marginal: float, min_ratio: float) -> str:
    if p < alpha and ratio >= min_ratio:
        return "fail"
    if p < marginal and ratio > 1:
        return "marginal"
    return "pass"


def judge_check(
    check: MetricCheck, look: Look, canary: Series, live: Series | None
) -> CheckVerdict:
    """Count the periods that fail the condition, and those that cannot be judged."""
    condition = parse_condition(check.condition)
    failed: list[str] = []
    passed = inconclusive = 0
    for period in look.periods:
        value = canary.get(period)
        other = live.get(period) if live is not None else None
        holds = None if value is None else condition.holds(value, other)
        if holds is None:
            inconclusive += 1
        elif holds:
            passed += 1
        else:
            failed.append(f"{value:g}")
    judged = passed + len(failed)
    base = {"check": check.name, "final": look.final, "periods": judged}
    detail = f"{judged} periods judged '{check.condition}': {len(failed)} failed"
    if failed:
        detail += f" ({', '.join(failed[-3:])})"
    if inconclusive:
        detail += f", {inconclusive} without a value"
    if len(failed) > check.failure_limit:
        return CheckVerdict(verdict="fail", detail=detail, **base)
    if inconclusive > check.inconclusive_limit or judged < check.min_datapoints:
        return CheckVerdict(verdict="no data", detail=detail, **base)
    verdict = "marginal" if failed else "pass"
    return CheckVerdict(verdict=verdict, detail=detail, **base)
