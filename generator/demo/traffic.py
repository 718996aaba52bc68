"""Seeded simulated ALB traffic: per-period counts for each colour, pushed into CloudWatch.

Each period, requests arrive as a Poisson process split by the listener's weights;
each request fails (5xx) with its colour's error rate, and response times are
log-normal. What CloudWatch would publish per target group is pushed with
PutMetricData: ``RequestCount`` and ``HTTPCode_Target_5XX_Count`` as sums, and
``TargetResponseTime`` as statistic values (count, sum, min, max), which moto
serves as Sum, SampleCount, Average, Minimum and Maximum (it cannot serve percentiles).

Two kinds of traffic the analysis was not fitted to: a heavy tail (a share of
requests with Pareto response times of infinite variance, ``Profile.tail_share``)
and load that drifts from minute to minute for both colours together
(``simulate_period``'s ``slowdown``, e.g. an AR(1) process: see ``drifting_load``).
The real ALB publishes a minute's metrics about a minute after it ends
(``PUBLISH_DELAY``): the benchmark counts time to rollback with it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from generator.colours import COLOURS, Colour
from generator.infra.outputs import StackOutputs

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient

LATENCY_SIGMA = 0.6  # log-normal shape: p99 is about 4x the median
PUBLISH_DELAY = 60.0  # seconds after a minute ends until CloudWatch serves the ALB's metrics
EXACT_DRAWS = 400  # up to this many requests a period, response times are drawn one by one
TAIL_SHAPE = 1.5  # Pareto shape of the heavy tail: finite mean, infinite variance
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Profile:
    """How one colour behaves: its 5xx rate and median response time."""

    error_rate: float = 0.01
    median_latency: float = 0.08
    tail_share: float = 0.0  # share of requests in a Pareto tail starting at tail_scale
    tail_scale: float = 0.5

    @property
    def mean_latency(self) -> float:
        return self.median_latency * math.exp(LATENCY_SIGMA**2 / 2)

    def latency_quantile(self, q: float) -> float:
        return self.median_latency * math.exp(LATENCY_SIGMA * _normal_quantile(q))


@dataclass(frozen=True)
class PeriodCounts:
    requests: int
    errors: int
    latency_sum: float  # seconds, over all requests
    latency_p99: float  # of this period's requests (for static p99 alarms)
    latency_max: float | None = None  # the slowest request (None: publish max(p99, mean))
    latency_p50: float | None = None  # percentiles as real CloudWatch serves them (moto
    latency_p90: float | None = None  # cannot: not pushed, used by the benchmark directly)


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, product = math.exp(-lam), 0, rng.random()
    while product > threshold:
        k += 1
        product *= rng.random()
    return k


def binomial(rng: random.Random, n: int, p: float) -> int:
    """Exact by inversion when n*p is small, normal approximation otherwise."""
    if n <= 0 or p <= 0:
        return 0
    if n * p > 50 and n * (1 - p) > 50:
        return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))
    u, k = rng.random(), 0
    pmf = (1 - p) ** n
    cdf = pmf
    while u > cdf and k < n:
        pmf *= (n - k) / (k + 1) * p / (1 - p)
        k += 1
        cdf += pmf
    return k


def _normal_quantile(q: float) -> float:
    """Inverse of the standard normal CDF, by bisection: plenty for a simulator."""
    low, high = -10.0, 10.0
    for _ in range(80):
        mid = (low + high) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < q:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _sample_quantile(lat: random.Random, profile: Profile, q: float, n: int) -> float:
    """A sample q-quantile of n requests from its asymptotic normal law (q below the
    heavy tail's share: the body's quantile at q / (1 - tail_share))."""
    level = q / (1 - profile.tail_share)
    value = profile.latency_quantile(level)
    z = math.log(value / profile.median_latency) / LATENCY_SIGMA
    density = (1 - profile.tail_share) * math.exp(-z * z / 2)
    density /= value * LATENCY_SIGMA * math.sqrt(2 * math.pi)
    return max(0.0, lat.gauss(value, math.sqrt(q * (1 - q) / n) / density))


def _latencies(
    rng: random.Random, lat: random.Random, n: int, profile: Profile
) -> tuple[float, float, float, float, float]:
    """Sum, p50, p90, p99 and maximum of ``n`` response times: drawn one by one up to
    ``EXACT_DRAWS`` requests (so they agree), from their large-sample laws above."""
    mean = profile.mean_latency
    sd = mean * math.sqrt(math.exp(LATENCY_SIGMA**2) - 1)
    tail = [
        profile.tail_scale * lat.paretovariate(TAIL_SHAPE)
        for _ in range(binomial(lat, n, profile.tail_share))
    ]
    body = n - len(tail)
    # Drawn from ``rng`` whatever ``n``: the error counts that follow keep their stream.
    approx_sum = max(0.0, rng.gauss(body * mean, sd * math.sqrt(body)))
    q99 = profile.latency_quantile(0.99)
    density = math.exp(-((math.log(q99 / profile.median_latency) / LATENCY_SIGMA) ** 2) / 2)
    density /= q99 * LATENCY_SIGMA * math.sqrt(2 * math.pi)
    p99 = max(0.0, rng.gauss(q99, math.sqrt(0.99 * 0.01 / n) / density))
    if n <= EXACT_DRAWS:
        mu = math.log(profile.median_latency)
        values = sorted([lat.lognormvariate(mu, LATENCY_SIGMA) for _ in range(body)] + tail)
        p50, p90 = values[math.ceil(0.5 * n) - 1], values[math.ceil(0.9 * n) - 1]
        return sum(values), p50, p90, values[math.ceil(0.99 * n) - 1], values[-1]
    # The largest of the body's values: its CDF is F^body, so invert at U^(1/body).
    top = _NORMAL.inv_cdf(min(lat.random() ** (1 / body), 1 - 1e-16))
    slowest = profile.median_latency * math.exp(LATENCY_SIGMA * top)
    if tail:
        slowest = max(slowest, *tail)
        rank = max(1, n // 100)  # the p99 is the rank-th slowest request
        if len(tail) >= rank:
            p99 = max(p99, sorted(tail)[-rank])
    p50, p90 = _sample_quantile(lat, profile, 0.5, n), _sample_quantile(lat, profile, 0.9, n)
    return approx_sum + sum(tail), p50, p90, p99, max(slowest, p99)


def simulate_period(
    rng: random.Random,
    rps: float,
    period: int,
    weights: dict[Colour, int],
    profiles: dict[Colour, Profile],
    slowdown: float = 1.0,
    latency_rng: random.Random | None = None,
) -> dict[Colour, PeriodCounts]:
    """One period's counts for each colour with traffic; ``slowdown`` scales every
    response time of the period (load that moves both colours together). Response
    times beyond their large-sample laws come from ``latency_rng`` when given, so
    request and error counts stay those of ``rng`` alone."""
    total = sum(weights.values()) or 1
    out: dict[Colour, PeriodCounts] = {}
    for colour in COLOURS:
        share = weights.get(colour, 0) / total
        n = poisson(rng, rps * period * share)
        if n == 0:
            continue
        profile = profiles[colour]
        errors = binomial(rng, n, profile.error_rate)
        total_s, p50, p90, p99, slowest = _latencies(rng, latency_rng or rng, n, profile)
        out[colour] = PeriodCounts(
            n,
            errors,
            total_s * slowdown,
            p99 * slowdown,
            slowest * slowdown,
            p50 * slowdown,
            p90 * slowdown,
        )
    return out


def drifting_load(
    rng: random.Random, periods: int, rho: float = 0.8, sd: float = 0.3
) -> list[float]:
    """Per-period slowdowns that drift together: exp of an AR(1) process, stationary sd ``sd``."""
    level = rng.gauss(0.0, sd)
    out = []
    for _ in range(periods):
        out.append(math.exp(level))
        level = rho * level + rng.gauss(0.0, sd * math.sqrt(1 - rho * rho))
    return out


def put_period(
    cloudwatch: CloudWatchClient,
    outputs: StackOutputs,
    start: float,
    counts: dict[Colour, PeriodCounts],
) -> None:
    """PutMetricData of one period, as the ALB publishes it per target group."""
    assert outputs.load_balancer_arn_suffix and outputs.target_group_arn_suffixes
    when = dt.datetime.fromtimestamp(start, dt.UTC)
    data: list[Any] = []
    for colour, c in counts.items():
        dims = [
            {"Name": "LoadBalancer", "Value": outputs.load_balancer_arn_suffix},
            {"Name": "TargetGroup", "Value": outputs.target_group_arn_suffixes[colour]},
        ]
        data.append(
            {
                "MetricName": "RequestCount",
                "Dimensions": dims,
                "Timestamp": when,
                "Value": float(c.requests),
                "Unit": "Count",
            }
        )
        if c.errors:  # the ALB publishes no 5xx datapoint for a minute without 5xx
            data.append(
                {
                    "MetricName": "HTTPCode_Target_5XX_Count",
                    "Dimensions": dims,
                    "Timestamp": when,
                    "Value": float(c.errors),
                    "Unit": "Count",
                }
            )
        stats = {
            "SampleCount": float(c.requests),
            "Sum": c.latency_sum,
            "Minimum": 0.0,
            "Maximum": c.latency_max
            if c.latency_max is not None
            else max(c.latency_p99, c.latency_sum / c.requests),
        }
        data.append(
            {
                "MetricName": "TargetResponseTime",
                "Dimensions": dims,
                "Timestamp": when,
                "StatisticValues": stats,
                "Unit": "Seconds",
            }
        )
    for i in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data[i : i + 1000])


class TrafficFeed:
    """Call it on each tick of a clock: simulates every period that ended since the last
    call, split by the listener's weights as they are then (read with DescribeListeners),
    and pushes each ``publish_delay`` seconds after it ended, as CloudWatch publishes
    the ALB's metrics (``PUBLISH_DELAY`` is the real delay; 0 pushes at once)."""

    def __init__(
        self,
        cloudwatch: CloudWatchClient,
        elbv2: Any,
        outputs: StackOutputs,
        start: float,
        profiles: dict[Colour, Profile],
        *,
        rps: float = 20.0,
        period: int = 60,
        seed: int = 11,
        publish_delay: float = 0.0,
    ) -> None:
        self.cloudwatch, self.elbv2, self.outputs = cloudwatch, elbv2, outputs
        self.profiles, self.rps, self.period = profiles, rps, period
        self.rng = random.Random(seed)
        self.next = int(start // period) * period
        self.publish_delay = publish_delay
        self.unpublished: list[tuple[int, dict[Colour, PeriodCounts]]] = []

    def __call__(self, clock: Any) -> None:
        from generator.rollout.aws.alb import AlbListenerRouter

        now = clock.now()
        if self.next + self.period <= now:
            weights = AlbListenerRouter(self.elbv2, self.outputs).read().weights
            while self.next + self.period <= now:
                counts = simulate_period(self.rng, self.rps, self.period, weights, self.profiles)
                self.unpublished.append((self.next, counts))
                self.next += self.period
        while self.unpublished and self.unpublished[0][0] + self.period + self.publish_delay <= now:
            start, counts = self.unpublished.pop(0)
            put_period(self.cloudwatch, self.outputs, start, counts)
