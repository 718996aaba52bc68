"""Verdicts from series: the comparison with the live colour and the metric checks.

Pure functions. A window is the list of period starts judged so far; ``look``
is how many of the bake's ``looks`` periods are complete. The comparison's
significance level at each look comes from ``stats.look_alpha``, so a canary no
worse than live fails a metric with probability at most ``alpha`` per step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from generator.config.analysis import Compare, MetricCheck
from generator.config.conditions import parse_condition
from generator.journal.verdicts import CheckVerdict
from generator.rollout.analysis.queries import Series
from generator.rollout.analysis.stats import compare_proportions, look_alpha, mann_whitney_greater


@dataclass(frozen=True)
class Look:
    periods: list[int]  # starts of the complete periods judged
    index: int  # 1-based: how many periods are complete
    looks: int  # periods in the whole bake

    @property
    def final(self) -> bool:
        return self.index >= self.looks


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _total(series: Series, periods: Sequence[int]) -> int:
    # The ALB publishes no 5xx datapoint for a minute without 5xx: missing is zero.
    return round(sum(series.get(p, 0.0) for p in periods))


def compare_errors(
    config: Compare, look: Look, canary: tuple[Series, Series], live: tuple[Series, Series]
) -> CheckVerdict:
    """Fisher's exact test on the cumulative 5xx and request counts of the window."""
    (req_c, err_c), (req_l, err_l) = canary, live
    n_c, n_l = _total(req_c, look.periods), _total(req_l, look.periods)
    e_c, e_l = min(_total(err_c, look.periods), n_c), min(_total(err_l, look.periods), n_l)
    base = {"check": "errors", "final": look.final, "periods": len(look.periods)}
    if n_c < config.min_requests or n_l < config.min_requests:
        detail = f"{n_c} requests on the new colour, {n_l} on live; {config.min_requests} needed"
        return CheckVerdict(verdict="no data", detail=detail, **base)
    result = compare_proportions(e_c, n_c, e_l, n_l)
    alpha = look_alpha(config.alpha, look.index, look.looks)
    ratio = result.ratio
    shown = f"x{ratio:.2f}" if math.isfinite(ratio) else "live had none"
    detail = (
        f"5xx {100 * result.rate_a:.2f}% ({e_c}/{n_c}) vs live {100 * result.rate_b:.2f}% "
        f"({e_l}/{n_l}), {shown}, p={result.p_value:.2g}"
    )
    verdict = _decide(result.p_value, ratio, alpha, config.marginal_alpha, config.errors.min_ratio)
    if verdict == "fail":
        detail += f" < {alpha:.2g}"
    return CheckVerdict(
        verdict=verdict,
        detail=detail,
        p_value=result.p_value,
        effect=_finite(ratio),
        **base,
    )


def compare_latency(config: Compare, look: Look, canary: Series, live: Series) -> CheckVerdict:
    """Mann-Whitney U on the per-period average response times of the window."""
    a = [canary[p] for p in look.periods if p in canary]
    b = [live[p] for p in look.periods if p in live]
    base = {"check": "latency", "final": look.final, "periods": min(len(a), len(b))}
    if not a or not b:
        detail = f"{len(a)} periods of latency on the new colour, {len(b)} on live"
        return CheckVerdict(verdict="no data", detail=detail, **base)
    result = mann_whitney_greater(a, b)
    alpha = look_alpha(config.alpha, look.index, look.looks)
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    detail = (
        f"latency {1000 * mean_a:.0f} ms vs live {1000 * mean_b:.0f} ms "
        f"(x{result.mean_ratio:.2f}, rank-biserial {result.rank_biserial:+.2f}), "
        f"p={result.p_value:.2g}"
    )
    verdict = _decide(
        result.p_value, result.mean_ratio, alpha, config.marginal_alpha, config.latency.min_ratio
    )
    return CheckVerdict(
        verdict=verdict,
        detail=detail,
        p_value=result.p_value,
        effect=_finite(result.mean_ratio),
        **base,
    )


def _decide(p: float, ratio: float, alpha: float, marginal: float, min_ratio: float) -> str:
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
