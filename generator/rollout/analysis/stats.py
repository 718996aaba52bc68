"""The statistics of canary analysis, in pure functions over plain numbers.

Only ``math``: no numpy or scipy at run time. Each test is one-sided, because a
canary is only ever rolled back for being *worse* than the live colour:

* error counts: Fisher's exact test on the 2x2 table (errors and successes of
  each colour). It is exact at the small counts a 10 % canary produces, where
  the two-proportion z-test (also here, for reporting) rejects too often;
* latency: the Mann-Whitney U test on per-period values (Kayenta's choice),
  exact without ties and for small samples, normal with tie correction
  otherwise, with three effect sizes: rank-biserial correlation, the
  Hodges-Lehmann shift and the ratio of means;
* latency before the last look: a z-test of the difference of means, period by
  period, from what CloudWatch publishes per period (average, sample count,
  maximum, minimum), each average's variance bounded by Bhatia-Davis. With one
  or two periods a side ranks cannot reach an interim alpha; counts can.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


# -- proportions -------------------------------------------------------------------


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def hypergeom_sf(x: int, total: int, marked: int, drawn: int) -> float:
    """P(X >= x) for X ~ Hypergeometric(total, marked, drawn)."""
    low = max(0, drawn - (total - marked))
    high = min(marked, drawn)
    if x <= low:
        return 1.0
    if x > high:
        return 0.0
    log_denominator = _log_comb(total, drawn)

    def log_pmf(k: int) -> float:
        return _log_comb(marked, k) + _log_comb(total - marked, drawn - k) - log_denominator

    # Sum the shorter tail in log space; past the mode terms shrink geometrically.
    mode = (drawn + 1) * (marked + 1) // (total + 2)
    if x > mode:
        logs = []
        for k in range(x, high + 1):
            logs.append(log_pmf(k))
            if logs[-1] < logs[0] - 40:
                break
        return min(1.0, _sum_exp(logs))
    logs = []
    for k in range(x - 1, low - 1, -1):
        logs.append(log_pmf(k))
        if logs[-1] < logs[0] - 40 and k < mode:
            break
    return max(0.0, 1.0 - _sum_exp(logs))


def _sum_exp(logs: Sequence[float]) -> float:
    top = max(logs)
    return math.exp(top) * sum(math.exp(v - top) for v in logs)


def fisher_greater(errors_a: int, n_a: int, errors_b: int, n_b: int) -> float:
    """One-sided Fisher exact p-value for "the error rate of a exceeds that of b"."""
    _check_counts(errors_a, n_a, errors_b, n_b)
    return hypergeom_sf(errors_a, n_a + n_b, errors_a + errors_b, n_a)


def two_proportion_z(errors_a: int, n_a: int, errors_b: int, n_b: int) -> tuple[float, float]:
    """Pooled two-proportion z statistic and its one-sided p-value (a worse than b)."""
    _check_counts(errors_a, n_a, errors_b, n_b)
    pooled = (errors_a + errors_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return 0.0, 1.0
    z = (errors_a / n_a - errors_b / n_b) / math.sqrt(variance)
    return z, normal_sf(z)


def _check_counts(errors_a: int, n_a: int, errors_b: int, n_b: int) -> None:
    if n_a <= 0 or n_b <= 0:
        raise ValueError("both samples need at least one request")
    if not (0 <= errors_a <= n_a and 0 <= errors_b <= n_b):
        raise ValueError("errors must be between 0 and the number of requests")


@dataclass(frozen=True)
class ProportionResult:
    p_value: float  # Fisher exact, one-sided
    rate_a: float
    rate_b: float
    z: float

    @property
    def ratio(self) -> float:
        """rate_a / rate_b; infinite when b had no errors and a had some."""
        if self.rate_b == 0:
            return math.inf if self.rate_a > 0 else 1.0
        return self.rate_a / self.rate_b


def compare_proportions(errors_a: int, n_a: int, errors_b: int, n_b: int) -> ProportionResult:
    """Is a's error rate higher than b's? Fisher's exact p-value, rates and z."""
    z, _ = two_proportion_z(errors_a, n_a, errors_b, n_b)
    return ProportionResult(
        p_value=fisher_greater(errors_a, n_a, errors_b, n_b),
        rate_a=errors_a / n_a,
        rate_b=errors_b / n_b,
        z=z,
    )


# -- ranks -------------------------------------------------------------------------

EXACT_LIMIT = 50  # samples of up to 50 each without ties use the exact distribution


@dataclass(frozen=True)
class MannWhitneyResult:
    u: float  # U of sample a: pairs where a > b, ties counting one half
    p_value: float  # one-sided: a tends to be larger than b
    method: str  # "exact" or "normal"
    rank_biserial: float  # 2U/(n_a n_b) - 1, in [-1, 1]; > 0 when a is larger
    hodges_lehmann: float  # median of all pairwise differences a - b
    mean_ratio: float  # mean(a) / mean(b)


def rank(values: Sequence[float]) -> list[float]:
    """Ranks starting at 1, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


@lru_cache(maxsize=256)
def _u_counts(n_a: int, n_b: int) -> tuple[int, ...]:
    """Number of arrangements giving each U = 0..n_a*n_b (no ties)."""
    # counts[m][u] for samples (i, m): add elements one at a time (Mann & Whitney 1947).
    table: list[list[int]] = [[1] for _ in range(n_b + 1)]  # i = 0: U is 0
    for i in range(1, n_a + 1):
        new: list[list[int]] = [[1]]  # m = 0: U is 0
        for m in range(1, n_b + 1):
            # The largest value is from a (adds m to U) or from b.
            size = i * m + 1
            row = [0] * size
            for u, c in enumerate(table[m]):  # (i-1, m), largest from a: U += m
                row[u + m] += c
            for u, c in enumerate(new[m - 1]):  # (i, m-1), largest from b
                row[u] += c
            new.append(row)
        table = new
    return tuple(table[n_b])


def mann_whitney_greater(a: Sequence[float], b: Sequence[float]) -> MannWhitneyResult:
    """One-sided Mann-Whitney U test that ``a`` tends to exceed ``b``, with effect sizes."""
    n_a, n_b = len(a), len(b)
    if n_a == 0 or n_b == 0:
        raise ValueError("both samples need at least one value")
    ranks = rank([*a, *b])
    u = sum(ranks[:n_a]) - n_a * (n_a + 1) / 2
    ties = len(set(a) | set(b)) < n_a + n_b
    if not ties and n_a <= EXACT_LIMIT and n_b <= EXACT_LIMIT:
        counts = _u_counts(n_a, n_b)
        p = sum(counts[math.ceil(u) :]) / math.comb(n_a + n_b, n_a)
        method = "exact"
    else:
        p = _normal_p(u, ranks, n_a, n_b)
        method = "normal"
    diffs = sorted(x - y for x in a for y in b)
    middle = len(diffs) // 2
    hl = diffs[middle] if len(diffs) % 2 else (diffs[middle - 1] + diffs[middle]) / 2
    mean_b = sum(b) / n_b
    mean_a = sum(a) / n_a
    ratio = mean_a / mean_b if mean_b else (math.inf if mean_a > 0 else 1.0)
    return MannWhitneyResult(
        u=u,
        p_value=min(1.0, p),
        method=method,
        rank_biserial=2 * u / (n_a * n_b) - 1,
        hodges_lehmann=hl,
        mean_ratio=ratio,
    )


def _normal_p(u: float, ranks: Sequence[float], n_a: int, n_b: int) -> float:
    n = n_a + n_b
    tie_sizes: dict[float, int] = {}
    for r in ranks:
        tie_sizes[r] = tie_sizes.get(r, 0) + 1
    tie_term = sum(t**3 - t for t in tie_sizes.values()) / (n * (n - 1)) if n > 1 else 0.0
    sigma = math.sqrt(n_a * n_b / 12 * ((n + 1) - tie_term))
    if sigma == 0:
        return 1.0
    z = (u - n_a * n_b / 2 - 0.5) / sigma  # continuity correction
    return normal_sf(z)


# -- how many looks a bake takes -----------------------------------------------------


def look_alpha(alpha: float, look: int, looks: int, interim_share: float = 0.1) -> float:
    """Significance level of look ``look`` (1-based) of ``looks``, Haybittle-Peto style.

    The interim looks share ``interim_share`` of ``alpha`` equally and the final
    look gets the rest, so by the union bound the chance that *any* look of the
    bake fires on a canary no worse than live is at most ``alpha``.
    """
    if looks <= 1:
        return alpha
    interim = alpha * interim_share / (looks - 1)
    return interim if look < looks else alpha - interim * (looks - 1)


# -- means with a bounded variance -------------------------------------------------


@dataclass(frozen=True)
class PeriodMean:
    """What CloudWatch publishes about one period's values: count, average and range."""

    count: float
    mean: float
    maximum: float
    minimum: float = 0.0

    @property
    def variance_bound(self) -> float:
        """Bhatia-Davis: no values in [m, M] with mean mu vary more than (M - mu)(mu - m).

        It holds exactly for the period's own values (their empirical distribution), so
        it bounds the sample variance the usual z-test would plug in, whatever the shape.
        """
        return max(0.0, (self.maximum - self.mean) * (self.mean - self.minimum))


@dataclass(frozen=True)
class MeanResult:
    z: float
    p_value: float  # one-sided: a's mean exceeds b's
    difference: float  # weighted mean over periods of mean_a - mean_b
    mean_ratio: float  # pooled mean(a) / pooled mean(b)


def _pooled(periods: Sequence[PeriodMean]) -> float:
    total = sum(p.count for p in periods)
    return sum(p.count * p.mean for p in periods) / total if total else 0.0


def mean_greater(a: Sequence[PeriodMean], b: Sequence[PeriodMean]) -> MeanResult:
    """One-sided z-test that a's mean exceeds b's, stratified by period.

    ``a[i]`` and ``b[i]`` are the same period of each colour, so load that drifts
    from one period to the next moves both and cancels in the difference. Each
    period's difference is weighted by n_a n_b / (n_a + n_b); its variance is
    bounded with ``variance_bound`` (no assumption on the latency distribution, a
    heavy tail only widens the bound), and the normal law of the weighted sum
    gives the p-value (a sum of hundreds of requests).
    """
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x.count > 0 and y.count > 0]
    if not pairs:
        raise ValueError("both samples need a period with values")
    weights = [x.count * y.count / (x.count + y.count) for x, y in pairs]
    total = sum(weights)
    difference = sum(w * (x.mean - y.mean) for w, (x, y) in zip(weights, pairs, strict=True))
    difference /= total
    variance = sum(
        w * w * (x.variance_bound / x.count + y.variance_bound / y.count)
        for w, (x, y) in zip(weights, pairs, strict=True)
    ) / (total * total)
    if variance > 0:
        z = difference / math.sqrt(variance)
    else:
        z = math.inf if difference > 0 else (-math.inf if difference < 0 else 0.0)
    mean_a, mean_b = _pooled([x for x, _ in pairs]), _pooled([y for _, y in pairs])
    ratio = mean_a / mean_b if mean_b else (math.inf if mean_a > 0 else 1.0)
    return MeanResult(z=z, p_value=normal_sf(z), difference=difference, mean_ratio=ratio)


def mann_whitney_floor(n_a: int, n_b: int) -> float:
    """The smallest one-sided p-value the exact Mann-Whitney test can reach: 1/C(n_a+n_b, n_a)."""
    return 1.0 / math.comb(n_a + n_b, n_a)


# -- percentiles: how many requests beat live's p90 ---------------------------------


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    logs = [_log_comb(n, i) + i * math.log(p) + (n - i) * math.log1p(-p) for i in range(k, n + 1)]
    return min(1.0, _sum_exp(logs))


@dataclass(frozen=True)
class QuantilePeriod:
    """One period: a's request count and percentiles (level -> value), and b's threshold:
    b's own percentile at ``level`` and the count it was computed from."""

    count_a: int
    quantiles_a: dict[float, float]
    threshold_b: float
    count_b: int


@dataclass(frozen=True)
class ExceedanceResult:
    p_value: float  # one-sided: more of a's requests exceed b's threshold than b's share
    exceeding: int  # a's requests above the threshold, at least (from a's percentiles)
    requests: int
    null_share: float  # the most a share above the threshold can be if a is no worse


def _above(period: QuantilePeriod) -> int:
    """a's requests above b's threshold, at least: if a's k-quantile exceeds it, so do
    the values of rank ceil(k n) + 1 and up, n - ceil(k n) of them, whether the
    percentile is the value of rank ceil(k n) or interpolated next to it."""
    over = [k for k, v in period.quantiles_a.items() if v > period.threshold_b]
    if not over:
        return 0
    return max(0, period.count_a - math.ceil(min(over) * period.count_a))


def exceedance_greater(
    periods: Sequence[QuantilePeriod], level: float, delta: float
) -> ExceedanceResult:
    """Do more of a's requests than b's ``1 - level`` exceed b's ``level``-percentile?

    Distribution-free: if a is no slower than b, each of a's requests exceeds b's true
    ``level``-quantile with probability at most ``1 - level``. b's percentile is
    estimated; by the Dvoretzky-Kiefer-Wolfowitz inequality (Massart's constant) its
    true exceedance share is above ``1 - level + eps`` with probability at most
    exp(-2 n_b eps^2), which ``eps`` holds to ``delta`` (spread over the periods): the
    test's false-positive rate is at most its p-value level plus ``delta``.
    """
    usable = [p for p in periods if p.count_a > 0 and p.count_b > 0 and p.quantiles_a]
    if not usable:
        raise ValueError("no period has percentiles of both samples")
    share = delta / len(usable)
    eps = max(math.sqrt(math.log(1 / share) / (2 * p.count_b)) for p in usable)
    null_share = min(1.0, 1 - level + eps)
    exceeding = sum(_above(p) for p in usable)
    requests = sum(p.count_a for p in usable)
    return ExceedanceResult(
        p_value=binomial_sf(exceeding, requests, null_share),
        exceeding=exceeding,
        requests=requests,
        null_share=null_share,
    )
