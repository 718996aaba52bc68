"""Canary analysis: zdd's comparison vs static alarms vs Kayenta-style Mann-Whitney.

Seeded simulated traffic (``generator.demo.traffic``): every minute each
colour gets Poisson requests split by weight, binomial 5xx and log-normal
latency. Each run is one 5-minute canary bake (5 one-minute periods), judged by

(a) zdd: ``judge.compare_errors`` / ``compare_latency`` at each minute, exactly
    the functions ``MetricAnalysis`` runs (Fisher's exact test on cumulative
    counts; latency by a z-test of means with bounded variance before the last
    look and Mann-Whitney U on per-minute averages at it; alpha spent over the
    looks); beside it, the latency rule before the z-test (Mann-Whitney at
    every look), so that subtle detection rates are compared in one run;
(b) static alarms at zdd's defaults: 5xx rate > 5 % or p99 > 1 s, 2 of 2 minutes;
(c) Kayenta-style: Mann-Whitney U on per-minute 5xx rates and per-minute mean
    latency, the same alpha and looks as (a).

The many runs evaluate the statistics on the simulated counts directly; a
smaller sample is pushed into moto with PutMetricData and judged by the real
``MetricAnalysis`` through GetMetricData, to show that path gives the same answers.

Time to rollback is counted from the step's start (its weights read back, on a
period boundary): the minute k that decides is published ``PUBLISH_DELAY`` later
and seen at the next poll (every ``POLL`` seconds, counted in full), so a verdict
on minute k rolls back at k + 1 + 1/6 minutes. Static alarms wait for the same
publication (a CloudWatch alarm evaluates the data it has).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from generator.colours import Colour
from generator.config.analysis import Compare
from generator.demo.traffic import (
    PUBLISH_DELAY,
    PeriodCounts,
    Profile,
    drifting_load,
    simulate_period,
)
from generator.rollout.analysis.judge import Look, compare_errors
from generator.rollout.analysis.latency import LatencySeries, compare_latency
from generator.rollout.analysis.stats import look_alpha, mann_whitney_greater

LOOKS = 5
BASE_ERROR = 0.01  # live's 5xx rate: where the static 5 % alarm misses a x3 canary
STATIC_ERROR_PERCENT, STATIC_P99 = 5.0, 1.0
POLL = 10.0  # seconds between polls of the bake


def rollback_minutes(minute: int) -> float:
    """Minutes from the step's start to rollback when minute ``minute`` (1-based) decides."""
    return minute + (PUBLISH_DELAY + POLL) / 60


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: int  # canary percent
    rps: float
    error_x: float = 1.0
    latency_x: float = 1.0
    base_error: float = BASE_ERROR
    tail_share: float = 0.0  # heavy-tailed latencies: this share of requests is Pareto
    drift: bool = False  # autocorrelated load: minutes slower or busier together

    def profiles(self) -> dict[Colour, Profile]:
        live = Profile(self.base_error, 0.08, self.tail_share)
        canary = Profile(self.base_error * self.error_x, 0.08 * self.latency_x, self.tail_share)
        return {"blue": live, "green": canary}


def _minutes(
    rng: random.Random, s: Scenario, latency_rng: random.Random | None = None
) -> list[dict[Colour, PeriodCounts]]:
    weights: dict[Colour, int] = {"blue": 100 - s.weight, "green": s.weight}
    profiles = s.profiles()
    latency_rng = latency_rng or rng
    load = drifting_load(latency_rng, LOOKS) if s.drift else [1.0] * LOOKS
    return [simulate_period(rng, s.rps * f, 60, weights, profiles, f, latency_rng) for f in load]


def _latency_series(with_percentiles: bool) -> dict[Colour, LatencySeries]:
    levels: dict[float, dict[int, float]] = {0.5: {}, 0.9: {}, 0.99: {}}
    return {
        c: LatencySeries({}, {}, {}, None, {k: {} for k in levels} if with_percentiles else None)
        for c in ("blue", "green")
    }


def _add(series: LatencySeries, k: int, c: PeriodCounts) -> None:
    series.mean[k], series.count[k] = c.latency_sum / c.requests, c.requests
    series.maximum[k] = c.latency_max or c.latency_p99
    if series.percentiles is not None:
        for level, value in ((0.5, c.latency_p50), (0.9, c.latency_p90), (0.99, c.latency_p99)):
            if value is not None:
                series.percentiles[level][k] = value


def _zdd(minutes: list[dict[Colour, PeriodCounts]], config: Compare) -> dict[str, int | None]:
    """The minute zdd's comparison first fails each metric (None: never); "latency_pct"
    is latency with percentiles, as on real CloudWatch (``compare.latency.percentiles``)."""
    req: dict[Colour, dict[int, float]] = {"blue": {}, "green": {}}
    err: dict[Colour, dict[int, float]] = {"blue": {}, "green": {}}
    lat, pct = _latency_series(False), _latency_series(True)
    first: dict[str, int | None] = {"errors": None, "latency": None, "latency_pct": None}
    for k, minute in enumerate(minutes):
        for colour, c in minute.items():
            req[colour][k], err[colour][k] = c.requests, c.errors
            _add(lat[colour], k, c)
            _add(pct[colour], k, c)
        look = Look(list(range(k + 1)), k + 1, LOOKS)
        verdicts = [
            (
                "errors",
                compare_errors(
                    config, look, (req["green"], err["green"]), (req["blue"], err["blue"])
                ),
            ),
            ("latency", compare_latency(config, look, lat["green"], lat["blue"])),
            ("latency_pct", compare_latency(config, look, pct["green"], pct["blue"])),
        ]
        for name, v in verdicts:
            if v.verdict == "fail" and first[name] is None:
                first[name] = k + 1
    return first


def _mann_whitney_latency(minutes: list[dict[Colour, PeriodCounts]], config: Compare) -> int | None:
    """zdd's latency rule before this z-test: Mann-Whitney at every look."""
    means: dict[Colour, list[float]] = {"blue": [], "green": []}
    for k, minute in enumerate(minutes):
        for colour, c in minute.items():
            means[colour].append(c.latency_sum / c.requests)
        if not all(means.values()):
            continue
        result = mann_whitney_greater(means["green"], means["blue"])
        level = look_alpha(config.alpha, k + 1, LOOKS)
        if result.p_value < level and result.mean_ratio >= config.latency.min_ratio:
            return k + 1
    return None


def zdd_minute(minutes: list[dict[Colour, PeriodCounts]], config: Compare) -> int | None:
    per_metric = _zdd(minutes, config)
    found = [m for k, m in per_metric.items() if m is not None and k != "latency_pct"]
    return min(found) if found else None


def _static(minutes: list[dict[Colour, PeriodCounts]]) -> int | None:
    breaching = []
    for k, minute in enumerate(minutes):
        c = minute.get("green")
        bad = bool(c) and (
            100 * c.errors / c.requests > STATIC_ERROR_PERCENT or c.latency_p99 > STATIC_P99
        )
        breaching.append(bad)
        if k and breaching[k] and breaching[k - 1]:
            return k + 1
    return None


def _kayenta(minutes: list[dict[Colour, PeriodCounts]], alpha: float) -> int | None:
    rates: dict[Colour, list[float]] = {"blue": [], "green": []}
    means: dict[Colour, list[float]] = {"blue": [], "green": []}
    for k, minute in enumerate(minutes):
        for colour, c in minute.items():
            rates[colour].append(c.errors / c.requests)
            means[colour].append(c.latency_sum / c.requests)
        if not all(rates.values()):
            continue
        level = look_alpha(alpha, k + 1, LOOKS)
        for series in (rates, means):
            if mann_whitney_greater(series["green"], series["blue"]).p_value < level:
                return k + 1
    return None


def _median_rollback(found: list[int], runs: int) -> float | None:
    """Median minutes from the step's start to rollback over all runs (never: infinite)."""
    times = sorted([rollback_minutes(m) for m in found] + [math.inf] * (runs - len(found)))
    middle = times[(runs - 1) // 2] if runs % 2 else (times[runs // 2 - 1] + times[runs // 2]) / 2
    return round(middle, 2) if math.isfinite(middle) else None


def run_scenario(s: Scenario, runs: int, alpha: float, seed: int) -> dict[str, Any]:
    config = Compare(alpha=alpha)
    methods = (
        "zdd",
        "zdd_errors",
        "zdd_latency",
        "zdd_latency_pct",
        "mw_latency",
        "static",
        "kayenta",
    )
    found: dict[str, list[int]] = {m: [] for m in methods}
    for run in range(runs):
        # Response times and drift from a stream of their own: each run's request and
        # error counts are those of the benchmark before them, so 5xx figures compare.
        minutes = _minutes(
            random.Random(seed * 1_000_003 + run), s, random.Random(f"latency {seed} {run}")
        )
        per_metric = _zdd(minutes, config)
        first = [per_metric[k] for k in ("errors", "latency") if per_metric[k] is not None]
        for method, minute in (
            ("zdd", min(first) if first else None),
            ("zdd_errors", per_metric["errors"]),
            ("zdd_latency", per_metric["latency"]),
            ("zdd_latency_pct", per_metric["latency_pct"]),
            ("mw_latency", _mann_whitney_latency(minutes, config)),
            ("static", _static(minutes)),
            ("kayenta", _kayenta(minutes, alpha)),
        ):
            if minute is not None:
                found[method].append(minute)
    row: dict[str, Any] = {"scenario": s.name, "runs": runs, "alpha": alpha}
    for method, minutes_found in found.items():
        row[method] = round(len(minutes_found) / runs, 4)
        if method in ("zdd", "static", "kayenta"):
            row[f"{method}_minutes"] = (
                round(sum(minutes_found) / len(minutes_found), 2) if minutes_found else None
            )
            row[f"{method}_rollback_median"] = _median_rollback(minutes_found, runs)
    return row


def oracle_bound(s: Scenario, alpha: float) -> float:
    """Reference power: a non-randomized one-sided test of the canary's Poisson error
    count at minute 5 with live's rate known exactly and the expected request count.
    Near the best any test can do; zdd's adaptive looks can land slightly above it."""
    n = s.rps * 60 * LOOKS * s.weight / 100
    lam0, lam1 = n * s.base_error, n * s.base_error * s.error_x

    def sf(k: int, lam: float) -> float:  # P(X >= k)
        return 1.0 - sum(math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1)) for i in range(k))

    k = 0
    while sf(k, lam0) > alpha:
        k += 1
    return sf(k, lam1)


def scenarios(quick: bool) -> tuple[list[Scenario], list[Scenario]]:
    null = [
        Scenario("null 10% 20 req/s", 10, 20),
        Scenario("null 5% 5 req/s", 5, 5),
        Scenario("null 25% 100 req/s", 25, 100),
        # Traffic the latency z-test was not fitted to.
        Scenario("null heavy tail (2% Pareto 1.5) 10% 20 req/s", 10, 20, tail_share=0.02),
        Scenario("null heavy tail (2% Pareto 1.5) 5% 5 req/s", 5, 5, tail_share=0.02),
        Scenario("null drifting load 10% 20 req/s", 10, 20, drift=True),
        Scenario("null drifting load 25% 100 req/s", 25, 100, drift=True),
    ]
    degraded = []
    grid = [(10, 20)] if quick else [(5, 5), (5, 20), (10, 20), (25, 20), (10, 100), (25, 100)]
    for weight, rps in grid:
        where = f"{weight}% {rps:g} req/s"
        degraded += [
            Scenario(f"5xx x2, {where}", weight, rps, error_x=2),
            Scenario(f"5xx x3, {where}", weight, rps, error_x=3),
            Scenario(f"5xx x10, {where}", weight, rps, error_x=10),
            Scenario(f"latency +50%, {where}", weight, rps, latency_x=1.5),
            Scenario(f"latency +200%, {where}", weight, rps, latency_x=3),
        ]
    return null, degraded


def _subtle_checks(grid: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """Subtle latency regressions: detected at least as often as by Mann-Whitney alone
    (the rule before the z-test, on the same runs). 5xx use the same test as before."""
    return [
        (
            f"{row['scenario']}: zdd detects {row['zdd_latency']:.1%} >= "
            f"{row['mw_latency']:.1%} (Mann-Whitney at every look, as before)",
            row["zdd_latency"] >= row["mw_latency"],
        )
        for row in grid
        if row["scenario"].startswith("latency +50%")
    ]


def _gross(runs: int) -> tuple[list[dict[str, Any]], list[tuple[str, bool]]]:
    """Gross regressions: median time to rollback from the step's start, beside static alarms."""
    rows: list[dict[str, Any]] = []
    checks: list[tuple[str, bool]] = []
    for gross in (
        Scenario("GROSS latency +200%, 10% 20 req/s", 10, 20, latency_x=3),
        Scenario("GROSS 5xx x10, 10% 20 req/s", 10, 20, error_x=10),
    ):
        row = run_scenario(gross, runs, 0.01, seed=5)
        rows.append(row)
        zdd, static = row["zdd_rollback_median"], row["static_rollback_median"]
        static_said = f"{static} min" if static is not None else "none in half the runs"
        checks.append(
            (
                f"{gross.name[6:]}, alpha 0.01: median time to rollback {zdd} min <= 3 from "
                f"the step's start, ahead of the static alarms ({static_said})",
                zdd is not None and zdd <= 3 and (static is None or zdd < static),
            )
        )
    return rows, checks


def analysis_benchmark(quick: bool = False) -> dict[str, Any]:
    """Null false-positive rates, detection grid, the issue's target, and the moto path."""
    null_runs, grid_runs, target_runs = (100, 60, 200) if quick else (600, 200, 1000)
    null, degraded = scenarios(quick)
    rows: list[dict[str, Any]] = []
    checks: list[tuple[str, bool]] = []
    for alpha in (0.01, 0.05):
        for s in null:
            row = run_scenario(s, null_runs, alpha, seed=1)
            rows.append(row)
            label = (
                f"{s.name}, alpha {alpha}: zdd false positives, 5xx {row['zdd_errors']:.2%} "
                f"and latency {row['zdd_latency']:.2%} (with percentiles "
                f"{row['zdd_latency_pct']:.2%}), each <= alpha"
            )
            worst = max(row["zdd_errors"], row["zdd_latency"], row["zdd_latency_pct"])
            checks.append((label, worst <= alpha))
    grid = [run_scenario(s, grid_runs, 0.01, seed=2) for s in degraded]
    rows += grid
    checks += _subtle_checks(grid)
    gross_rows, gross_checks = _gross(target_runs // 2)
    rows += gross_rows
    checks += gross_checks
    target = Scenario("TARGET 5xx x3, 10% 20 req/s", 10, 20, error_x=3)
    for alpha in (0.01, 0.05):
        row = run_scenario(target, target_runs, alpha, seed=3)
        row["reference"] = round(oracle_bound(target, alpha), 3)
        rows.append(row)
        if alpha < 0.05:
            # Shown in the table, not judged: at alpha 0.01 even the best possible test
            # (the reference: live's rate known, one look at minute 5) stays under 95 %.
            continue
        checks.append(
            (
                f"x3 5xx at 10%, 20 req/s, base 1%, alpha {alpha}: zdd detects "
                f"{row['zdd']:.1%} >= 95% within 5 min (reference {row['reference']:.1%})",
                row["zdd"] >= 0.95,
            )
        )
        checks.append(
            (
                f"  ... where the static 5% alarm detects {row['static']:.1%} < 5%",
                row["static"] < 0.05,
            )
        )
    issue = Scenario(
        "5xx x3 at base 0.5% (the issue's example)", 10, 20, error_x=3, base_error=0.005
    )
    row = run_scenario(issue, target_runs // 2, 0.05, seed=4)
    row["reference"] = round(oracle_bound(issue, 0.05), 3)
    rows.append(row)
    from benchmarks.analysis_moto import moto_path

    path = moto_path(runs=6 if quick else 20)
    checks.append(
        (
            f"moto path (PutMetricData -> GetMetricData -> MetricAnalysis) agrees with "
            f"the direct computation in {path['agree']}/{path['runs']} runs",
            path["agree"] == path["runs"],
        )
    )
    return {"rows": rows, "moto_path": path, "checks": checks}
