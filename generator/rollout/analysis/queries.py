"""GetMetricData queries of an analysis: both colours, every metric, one call.

The comparison reads, per colour, the ALB's ``RequestCount`` (Sum),
``HTTPCode_Target_5XX_Count`` (Sum) and ``TargetResponseTime`` (Average,
SampleCount, Maximum and Minimum: the latency test bounds each average's variance) with
the ``LoadBalancer`` and ``TargetGroup`` dimensions. Each metric check adds its
metric, or its metric-math expression and the metrics it uses, per colour.
Query ids are built here (``cmp_green_req``, ``k0_green``, ``k0_green_errors``)
so that one answer can be split back into series by colour and check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from generator.colours import COLOURS, Colour
from generator.config.analysis import Analysis, MetricCheck, MetricStat

ALB = "AWS/ApplicationELB"
ALB_METRICS = {
    "req": ("RequestCount", "Sum"),
    "err": ("HTTPCode_Target_5XX_Count", "Sum"),
    "lat": ("TargetResponseTime", "Average"),
    "lat_n": ("TargetResponseTime", "SampleCount"),
    "lat_max": ("TargetResponseTime", "Maximum"),
    "lat_min": ("TargetResponseTime", "Minimum"),
}
PERCENTILES = {"lat_p50": 0.5, "lat_p90": 0.9, "lat_p99": 0.99}  # with latency.percentiles

Series = dict[int, float]  # period start (epoch seconds) -> value


@dataclass(frozen=True)
class Dimensions:
    """What fills the dimension placeholders: the ALB's and each target group's ARN suffix."""

    load_balancer: str
    target_groups: dict[Colour, str]

    def fill(self, value: str, colour: Colour) -> str:
        return (
            value.replace("{load_balancer}", self.load_balancer)
            .replace("{target_group}", self.target_groups[colour])
            .replace("{colour}", colour)
        )


def _stat_query(
    query_id: str, stat: MetricStat, colour: Colour, dims: Dimensions, period: int, returned: bool
) -> dict[str, Any]:
    metric: dict[str, Any] = {
        "Namespace": stat.namespace,
        "MetricName": stat.name,
        "Dimensions": [
            {"Name": k, "Value": dims.fill(v, colour)} for k, v in sorted(stat.dimensions.items())
        ],
    }
    body: dict[str, Any] = {"Metric": metric, "Period": period, "Stat": stat.stat}
    if stat.unit:
        body["Unit"] = stat.unit
    return {"Id": query_id, "MetricStat": body, "ReturnData": returned}


def comparison_id(colour: Colour, key: str) -> str:
    return f"cmp_{colour}_{key}"


def check_id(index: int, colour: Colour) -> str:
    return f"k{index}_{colour}"


def build_queries(
    analysis: Analysis, dims: Dimensions, *, compare: bool, checks: list[int]
) -> list[dict[str, Any]]:
    """The MetricDataQueries for both colours: the comparison and the chosen checks."""
    period = analysis.period_seconds
    queries: list[dict[str, Any]] = []
    for colour in COLOURS:
        if compare:
            dimensions = {"LoadBalancer": "{load_balancer}", "TargetGroup": "{target_group}"}
            metrics = dict(ALB_METRICS)
            if analysis.compare.latency.percentiles:
                metrics.update(
                    (key, ("TargetResponseTime", f"p{round(100 * level)}"))
                    for key, level in PERCENTILES.items()
                )
            for key, (name, stat) in metrics.items():
                spec = MetricStat(namespace=ALB, name=name, stat=stat, dimensions=dimensions)
                queries.append(
                    _stat_query(comparison_id(colour, key), spec, colour, dims, period, True)
                )
        for index in checks:
            queries.extend(_check_queries(analysis.checks[index], index, colour, dims, period))
    return queries


def _check_queries(
    check: MetricCheck, index: int, colour: Colour, dims: Dimensions, period: int
) -> list[dict[str, Any]]:
    final = check_id(index, colour)
    if check.metric is not None:
        return [_stat_query(final, check.metric, colour, dims, period, True)]
    assert check.expression is not None
    ids = {name: f"{final}_{name}" for name in check.metrics}
    queries = [
        _stat_query(ids[name], stat, colour, dims, period, False)
        for name, stat in sorted(check.metrics.items())
    ]
    expression = re.sub(
        r"\b[a-z][A-Za-z0-9_]*\b", lambda m: ids.get(m.group(0), m.group(0)), check.expression
    )
    queries.append({"Id": final, "Expression": expression, "Period": period, "ReturnData": True})
    return queries


def split_results(results: list[dict[str, Any]]) -> dict[str, Series]:
    """GetMetricData's MetricDataResults as one series per query id."""
    series: dict[str, Series] = {}
    for result in results:
        values = series.setdefault(str(result["Id"]), {})
        for ts, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
            values[int(ts.timestamp())] = float(value)
    return series
