"""The latency verdict: which test may decide at which look, and with how much alpha.

Pure functions over the series of ``TargetResponseTime`` that CloudWatch serves per
period and colour: Average, SampleCount, Maximum, Minimum, and p50/p90/p99 where the
source has them (real CloudWatch does; moto does not).

* Before the last look, per-period averages are too few for ranks (with k a side no
  Mann-Whitney p-value is under 1/C(2k, k)). The look's alpha is shared equally by
  the tests that can use it: the z-test of means (``stats.mean_greater``, each
  average weighed by its sample count, its variance bounded by the period's range),
  Mann-Whitney once its smallest p-value is under its share, and, with percentiles,
  the count of new-colour requests slower than live's p90
  (``stats.exceedance_greater``, half its share for the p-value, half for not
  knowing live's p90 exactly).
* At the last look, Mann-Whitney takes the whole look's alpha, as it always did.

Alpha spent over all looks and tests stays at ``config.alpha`` (union bound).
Alpha spending with Haybittle-Peto looks was kept over an SPRT: an SPRT needs a
likelihood, hence a latency distribution, and heavy tails or drifting load would
break it; the z-test's variance bound assumes nothing about the shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.config.analysis import Compare
from generator.journal.verdicts import CheckVerdict, compact_series
from generator.rollout.analysis.judge import Look, decide, finite
from generator.rollout.analysis.queries import Series
from generator.rollout.analysis.stats import (
    PeriodMean,
    QuantilePeriod,
    exceedance_greater,
    look_alpha,
    mann_whitney_floor,
    mann_whitney_greater,
    mean_greater,
)

THRESHOLD = 0.9  # live's percentile that the new colour's requests are counted against


@dataclass(frozen=True)
class LatencySeries:
    """One colour's ``TargetResponseTime`` per period: average, sample count and range,
    and percentiles by level (0.5, 0.9, 0.99) when the source serves them."""

    mean: Series
    count: Series
    maximum: Series
    minimum: Series | None = None
    percentiles: dict[float, Series] | None = None

    def period(self, start: int) -> PeriodMean | None:
        """The period's numbers, or None while any of them has not arrived."""
        if start not in self.mean or start not in self.count or start not in self.maximum:
            return None
        low = self.minimum.get(start, 0.0) if self.minimum is not None else 0.0
        return PeriodMean(self.count[start], self.mean[start], self.maximum[start], low)

    def quantiles(self, start: int) -> dict[float, float]:
        return {k: s[start] for k, s in (self.percentiles or {}).items() if start in s}


@dataclass(frozen=True)
class _Decision:
    test: str
    p_value: float
    ratio: float
    level: float
    note: str = ""


def _quantile_periods(
    canary: LatencySeries, live: LatencySeries, periods: Sequence[int]
) -> list[QuantilePeriod]:
    out = []
    for p in periods:
        mine, theirs = canary.quantiles(p), live.quantiles(p)
        if mine and THRESHOLD in theirs and p in canary.count and p in live.count:
            out.append(
                QuantilePeriod(
                    round(canary.count[p]), mine, theirs[THRESHOLD], round(live.count[p])
                )
            )
    return out


def _interim(
    both: list[tuple[PeriodMean, PeriodMean]], quantiles: list[QuantilePeriod], level: float
) -> _Decision:
    """The interim look: the first test under its share of ``level`` decides."""
    a, b = [c.mean for c, _ in both], [lv.mean for _, lv in both]
    # Mann-Whitney takes a share only where its smallest p-value is under that share.
    with_ranks = mann_whitney_floor(len(a), len(b)) < level / (2 + bool(quantiles))
    share = level / (1 + bool(quantiles) + with_ranks)
    means = mean_greater([c for c, _ in both], [lv for _, lv in both])
    candidates = [_Decision("mean z", means.p_value, means.mean_ratio, share)]
    if quantiles:
        over = exceedance_greater(quantiles, THRESHOLD, share / 2)
        note = (
            f"; {over.exceeding} of {over.requests} new-colour requests slower than live's "
            f"p90 (at most {over.null_share:.0%} if no worse)"
        )
        candidates.append(
            _Decision("p90 exceedance", over.p_value, means.mean_ratio, share / 2, note)
        )
    if with_ranks:
        ranks = mann_whitney_greater(a, b)
        candidates.append(_Decision("mann-whitney", ranks.p_value, ranks.mean_ratio, share))
    deciding = [d for d in candidates if d.p_value < d.level]
    return deciding[0] if deciding else candidates[0]


def compare_latency(
    config: Compare, look: Look, canary: LatencySeries, live: LatencySeries
) -> CheckVerdict:
    """Latency of the window: means (and percentiles) at interim looks, ranks at the last."""
    pairs = [(canary.period(p), live.period(p)) for p in look.periods]
    both = [(c, lv) for c, lv in pairs if c and lv and c.count > 0 and lv.count > 0]
    base = {"check": "latency", "final": look.final, "periods": len(both)}
    series = {
        "canary": compact_series([c.mean * 1000 if c else None for c, _ in pairs]),
        "live": compact_series([lv.mean * 1000 if lv else None for _, lv in pairs]),
    }
    if not both:
        got_c = sum(1 for c, _ in pairs if c is not None)
        got_l = sum(1 for _, lv in pairs if lv is not None)
        detail = f"{got_c} periods of latency on the new colour, {got_l} on live"
        return CheckVerdict(verdict="no data", detail=detail, **series, **base)
    level = look_alpha(config.alpha, look.index, look.looks)
    ranks = mann_whitney_greater([c.mean for c, _ in both], [lv.mean for _, lv in both])
    if look.final:
        decision = _Decision("mann-whitney", ranks.p_value, ranks.mean_ratio, level)
    else:
        quantiles = _quantile_periods(canary, live, look.periods)
        decision = _interim(both, quantiles, level)
    mean_a = sum(c.count * c.mean for c, _ in both) / sum(c.count for c, _ in both)
    mean_b = sum(lv.count * lv.mean for _, lv in both) / sum(lv.count for _, lv in both)
    detail = (
        f"latency {1000 * mean_a:.0f} ms vs live {1000 * mean_b:.0f} ms "
        f"(x{decision.ratio:.2f}, rank-biserial {ranks.rank_biserial:+.2f}), "
        f"{decision.test} p={decision.p_value:.2g}"
    )
    verdict = decide(
        decision.p_value,
        decision.ratio,
        decision.level,
        config.marginal_alpha,
        config.latency.min_ratio,
    )
    if verdict == "fail":
        detail += f" < {decision.level:.2g}"
    return CheckVerdict(
        verdict=verdict,
        detail=detail + decision.note,
        p_value=decision.p_value,
        effect=finite(decision.ratio),
        test=decision.test,
        **series,
        **base,
    )
