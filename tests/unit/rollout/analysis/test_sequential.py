"""The latency test that can stop early, and how a window's verdicts show their numbers.

Reference values are worked by hand in the comments (no scipy); the normal tail
values are those of any published table (z = 1.6449 -> 0.05, 2.3263 -> 0.01).
"""

from __future__ import annotations

import math

import pytest

from generator.config.analysis import Compare
from generator.rollout.analysis.judge import Look, compare_errors
from generator.rollout.analysis.latency import LatencySeries, compare_latency
from generator.rollout.analysis.stats import (
    PeriodMean,
    QuantilePeriod,
    binomial_sf,
    exceedance_greater,
    look_alpha,
    mann_whitney_floor,
    mean_greater,
    normal_sf,
)


def test_variance_bound_is_bhatia_davis() -> None:
    # Half 0 and half 1: variance 1/4 = (1 - 1/2)(1/2 - 0), the bound is reached.
    assert PeriodMean(10, 0.5, 1.0).variance_bound == pytest.approx(0.25)
    # 1..5: population variance 2 <= (5 - 3)(3 - 1) = 4.
    assert PeriodMean(5, 3.0, 5.0, 1.0).variance_bound == pytest.approx(4.0)
    assert PeriodMean(5, 3.0, 3.0, 3.0).variance_bound == 0.0


def test_mean_test_one_period_by_hand() -> None:
    # a: 100 values, mean 0.3 in [0, 1]: bound 0.7 * 0.3 = 0.21, /100 = 0.0021.
    # b: 900 values, mean 0.1 in [0, 0.5]: bound 0.4 * 0.1 = 0.04, /900 = 4.444e-5.
    # z = 0.2 / sqrt(0.0021 + 0.04 / 900) = 4.31889...
    result = mean_greater([PeriodMean(100, 0.3, 1.0)], [PeriodMean(900, 0.1, 0.5)])
    assert result.z == pytest.approx(0.2 / math.sqrt(0.0021 + 0.04 / 900), rel=1e-12)
    assert result.z == pytest.approx(4.3189, abs=1e-4)
    assert result.p_value == pytest.approx(normal_sf(result.z))
    assert result.mean_ratio == pytest.approx(3.0)


def test_mean_test_two_periods_weights_by_hand() -> None:
    # Period 1 as above: weight 100*900/1000 = 90, difference 0.2, variance 0.00214444.
    # Period 2, equal colours: weight 50*50/100 = 25, difference 0, variance
    # 2 * (0.6 - 0.2)(0.2 - 0) / 50 = 0.0032.
    # D = 90 * 0.2 / 115; Var = (90^2 * 0.00214444 + 25^2 * 0.0032) / 115^2.
    a = [PeriodMean(100, 0.3, 1.0), PeriodMean(50, 0.2, 0.6)]
    b = [PeriodMean(900, 0.1, 0.5), PeriodMean(50, 0.2, 0.6)]
    result = mean_greater(a, b)
    variance = (90**2 * (0.0021 + 0.04 / 900) + 25**2 * 0.0032) / 115**2
    assert result.difference == pytest.approx(18 / 115, rel=1e-12)
    assert result.z == pytest.approx(18 / 115 / math.sqrt(variance), rel=1e-12)
    assert result.z == pytest.approx(4.0899, abs=1e-4)
    # Pooled means: (30 + 10) / 150 and (90 + 10) / 950.
    assert result.mean_ratio == pytest.approx((40 / 150) / (100 / 950), rel=1e-12)


def test_mean_test_cancels_load_that_drifts_for_both() -> None:
    # Minutes twice as slow for both colours: no difference within any period.
    a = [PeriodMean(100, 0.1, 1.0), PeriodMean(100, 0.2, 2.0)]
    b = [PeriodMean(900, 0.1, 1.0), PeriodMean(900, 0.2, 2.0)]
    assert mean_greater(a, b).z == 0.0
    assert mean_greater(a, b).p_value == pytest.approx(0.5)


def test_mean_test_is_not_fooled_by_one_huge_value() -> None:
    # One 60 s request among 100 of 0.1 s: the mean jumps, and so does the bound.
    # mean = (99 * 0.1 + 60) / 100 = 0.699; bound (60 - 0.699) * 0.699 / 100.
    outlier = PeriodMean(100, 0.699, 60.0)
    result = mean_greater([outlier], [PeriodMean(900, 0.1, 0.5)])
    assert result.mean_ratio > 6
    assert result.z < 1.0 and result.p_value > 0.15


def test_mann_whitney_floor_is_one_arrangement() -> None:
    # Mann & Whitney (1947): P(U = 0) = 1 / C(n_a + n_b, n_a).
    assert mann_whitney_floor(3, 3) == pytest.approx(1 / 20)
    assert mann_whitney_floor(5, 5) == pytest.approx(1 / 252)
    assert mann_whitney_floor(1, 1) == pytest.approx(1 / 2)


def test_binomial_tail_by_hand() -> None:
    # Bin(10, 1/2): P(X >= 7) = (C(10,7) + C(10,8) + C(10,9) + C(10,10)) / 2^10 = 176/1024.
    assert binomial_sf(7, 10, 0.5) == pytest.approx(176 / 1024, rel=1e-12)
    # Bin(5, 0.1): P(X >= 1) = 1 - 0.9^5 = 0.40951.
    assert binomial_sf(1, 5, 0.1) == pytest.approx(0.40951, rel=1e-12)
    assert binomial_sf(0, 5, 0.1) == 1.0 and binomial_sf(6, 5, 0.1) == 0.0


def test_exceedance_counts_requests_above_lives_p90_by_hand() -> None:
    # The new colour's p50 is above live's p90: its values of rank ceil(0.5 * 120) + 1 = 61
    # and up, 60 of them, are above it (a percentile may be interpolated next to rank 60).
    # DKW with delta 0.001 and 1080 live requests:
    # eps = sqrt(ln(1000) / 2160) = 0.05655; null share 0.1 + eps.
    slow = QuantilePeriod(120, {0.5: 0.2, 0.9: 0.5, 0.99: 1.0}, 0.15, 1080)
    result = exceedance_greater([slow], 0.9, 0.001)
    eps = math.sqrt(math.log(1000) / 2160)
    assert result.exceeding == 60 and result.requests == 120
    assert result.null_share == pytest.approx(0.1 + eps, rel=1e-12)
    assert result.p_value == pytest.approx(binomial_sf(60, 120, 0.1 + eps), rel=1e-12)
    assert result.p_value < 1e-15
    # Only the p99 above it: 120 - ceil(118.8) = 1 request, no evidence.
    tail = QuantilePeriod(120, {0.5: 0.08, 0.9: 0.14, 0.99: 0.4}, 0.15, 1080)
    assert exceedance_greater([tail], 0.9, 0.001).exceeding == 1
    assert exceedance_greater([tail], 0.9, 0.001).p_value > 0.99


def _latency(periods: dict[int, tuple[float, float, float]]) -> LatencySeries:
    return LatencySeries(
        mean={p: v[1] for p, v in periods.items()},
        count={p: v[0] for p, v in periods.items()},
        maximum={p: v[2] for p, v in periods.items()},
    )


def test_gross_latency_regression_fails_at_the_first_look_by_the_mean_test() -> None:
    # Minute 1 of 5 at 10 % of 20 req/s: 120 requests on the canary, 1080 on live.
    canary = _latency({0: (120, 0.29, 1.2)})
    live = _latency({0: (1080, 0.096, 0.6)})
    verdict = compare_latency(Compare(), Look([0], 1, 5), canary, live)
    assert verdict.verdict == "fail" and verdict.test == "mean z"
    assert verdict.p_value is not None and verdict.p_value < look_alpha(0.01, 1, 5)
    assert verdict.effect == pytest.approx(0.29 / 0.096)
    assert "mean z p=" in verdict.detail and "290 ms vs live 96 ms" in verdict.detail
    assert verdict.canary == [290.0] and verdict.live == [96.0]


def test_last_look_is_mann_whitney_and_a_late_period_is_not_zero() -> None:
    canary = _latency({p: (120, 0.12 + p / 1e5, 0.6) for p in range(0, 300, 60)})
    live = _latency({p: (1080, 0.08 + p / 1e5, 0.6) for p in range(0, 300, 60)})
    final = compare_latency(Compare(), Look(list(range(0, 300, 60)), 5, 5), canary, live)
    # Every canary minute above every live minute: U = 25, p = 1/252 < 0.009.
    assert final.test == "mann-whitney" and final.verdict == "fail"
    assert final.p_value == pytest.approx(1 / 252)
    del canary.mean[240], live.count[240]  # the last minute has not arrived
    late = compare_latency(Compare(), Look(list(range(0, 300, 60)), 5, 5), canary, live)
    assert late.periods == 4 and late.canary is not None and late.canary[-1] is None


def test_errors_wait_for_request_counts_and_show_rates_per_period() -> None:
    req_c, err_c = {0: 120.0, 60: 118.0}, {0: 12.0, 60: 14.0}
    req_l, err_l = {0: 1080.0}, {0: 11.0}  # live's second minute is late
    verdict = compare_errors(Compare(), Look([0, 60], 2, 5), (req_c, err_c), (req_l, err_l))
    assert verdict.periods == 1 and verdict.test == "fisher"
    assert verdict.canary == [10.0, 11.9] and verdict.live == [1.02, None]
    assert verdict.verdict == "fail" and "(12/120)" in verdict.detail
