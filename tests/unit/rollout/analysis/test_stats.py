"""Each statistic against known values: hand computations and published examples.

Reference values marked "scipy" were computed once with scipy.stats 1.17
(``fisher_exact``, ``hypergeom.sf``, ``mannwhitneyu``); scipy is not a dependency.
"""

from __future__ import annotations

import math

import pytest

from generator.rollout.analysis.stats import (
    compare_proportions,
    fisher_greater,
    hypergeom_sf,
    look_alpha,
    mann_whitney_greater,
    normal_sf,
    rank,
    two_proportion_z,
)


def test_normal_tail() -> None:
    assert normal_sf(0) == pytest.approx(0.5)
    assert normal_sf(1.6448536269514722) == pytest.approx(0.05, rel=1e-12)
    assert normal_sf(2.3263478740408408) == pytest.approx(0.01, rel=1e-12)


def test_fisher_lady_tasting_tea() -> None:
    # Fisher (1935): 3 of 4 cups right. P(X >= 3) = (C(4,3)C(4,1) + C(4,4)) / C(8,4) = 17/70.
    assert fisher_greater(3, 4, 1, 4) == pytest.approx(17 / 70, rel=1e-12)
    assert fisher_greater(4, 4, 0, 4) == pytest.approx(1 / 70, rel=1e-12)
    assert fisher_greater(0, 4, 4, 4) == 1.0


def test_hypergeometric_tail_by_hand_and_edges() -> None:
    # total 10, 4 marked, 5 drawn: P(X >= 3) = (C(4,3)C(6,2) + C(4,4)C(6,1)) / C(10,5) = 66/252
    assert hypergeom_sf(3, 10, 4, 5) == pytest.approx(66 / 252, rel=1e-12)
    assert hypergeom_sf(0, 10, 4, 5) == 1.0
    assert hypergeom_sf(5, 10, 4, 5) == 0.0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # canary 9/600 errors vs live 27/5400 (0.5 % -> 1.5 %): scipy hypergeom.sf(8, 6000, 36, 600)
        ((9, 600, 27, 5400), 0.0074887991),
        # scipy fisher_exact([[12, 588], [60, 5340]], alternative="greater")
        ((12, 600, 60, 5400), 0.0519059808),
        ((3, 600, 27, 5400), 0.5891813997),
    ],
)
def test_fisher_against_scipy(args: tuple[int, int, int, int], expected: float) -> None:
    assert fisher_greater(*args) == pytest.approx(expected, rel=1e-6)


def test_two_proportion_z_by_hand() -> None:
    # pooled p = 36/6000 = 0.006; se = sqrt(0.006*0.994*(1/600 + 1/5400)) = 0.0033234;
    # z = (0.015 - 0.005) / se = 3.00895
    z, p = two_proportion_z(9, 600, 27, 5400)
    assert z == pytest.approx(3.00895, rel=1e-4)
    assert p == pytest.approx(normal_sf(3.00895), rel=1e-3)
    assert two_proportion_z(0, 10, 0, 10) == (0.0, 1.0)


def test_compare_proportions_reports_rates_and_ratio() -> None:
    result = compare_proportions(9, 600, 27, 5400)
    assert result.rate_a == pytest.approx(0.015)
    assert result.rate_b == pytest.approx(0.005)
    assert result.ratio == pytest.approx(3.0)
    assert compare_proportions(1, 10, 0, 10).ratio == math.inf
    with pytest.raises(ValueError):
        compare_proportions(1, 0, 0, 10)
    with pytest.raises(ValueError):
        compare_proportions(11, 10, 0, 10)


def test_ranks_share_ties() -> None:
    assert rank([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]


def test_mann_whitney_scipy_documentation_example() -> None:
    # scipy.stats.mannwhitneyu docs (Conover): males vs females, U1 = 17,
    # exact two-sided p = 0.1111, so one-sided p = 0.0556.
    result = mann_whitney_greater([19, 22, 16, 29, 24], [20, 11, 17, 12])
    assert result.u == 17
    assert result.method == "exact"
    assert result.p_value == pytest.approx(0.1111 / 2, abs=1e-4)
    assert result.rank_biserial == pytest.approx(2 * 17 / 20 - 1)


def test_mann_whitney_exact_by_hand() -> None:
    # All of a above all of b: only 1 of C(10,5) = 252 arrangements is as extreme.
    result = mann_whitney_greater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    assert result.u == 25
    assert result.p_value == pytest.approx(1 / 252)
    assert result.hodges_lehmann == 5
    assert result.mean_ratio == pytest.approx(8 / 3)
    assert mann_whitney_greater([1, 2, 3], [4, 5, 6]).p_value == pytest.approx(1.0)


def test_mann_whitney_with_ties_uses_the_normal_approximation() -> None:
    # scipy mannwhitneyu(a, b, alternative="greater", method="asymptotic"): U 54.5, p 0.0092379
    a = [3, 4, 4, 5, 5, 5, 6, 6]
    b = [2, 3, 3, 4, 4, 5, 1, 2]
    result = mann_whitney_greater(a, b)
    assert result.method == "normal"
    assert result.u == 54.5
    assert result.p_value == pytest.approx(0.00923792217, rel=1e-6)


def test_look_alpha_spends_exactly_alpha() -> None:
    looks = 5
    spent = sum(look_alpha(0.01, k, looks) for k in range(1, looks + 1))
    assert spent == pytest.approx(0.01)
    assert look_alpha(0.01, 1, 5) == pytest.approx(0.00025)
    assert look_alpha(0.01, 5, 5) == pytest.approx(0.009)
    assert look_alpha(0.05, 1, 1) == 0.05
