"""Percentiles of TargetResponseTime, as real CloudWatch serves them (moto cannot):
GetMetricData answers in the shape CloudWatch returns, through botocore's Stubber."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
from botocore.stub import Stubber

from generator.config.analysis import Analysis
from generator.rollout.analysis.queries import Dimensions, comparison_id
from generator.rollout.aws.metric_analysis import MetricAnalysis

T0 = 1_700_000_040  # on a period boundary
DIMS = Dimensions(
    "app/shop/1", {"blue": "targetgroup/shop-blue/1", "green": "targetgroup/shop-green/2"}
)

# One minute of each colour: live fast and steady; the new colour's median is slower
# than live's p90, but one 30 s request (a timeout) widens its range, so the mean's
# bounded variance cannot tell (a z-test of means stays unsure).
MINUTE = {
    "green": {
        "req": 120,
        "err": 1,
        "lat": 0.42,
        "lat_n": 120,
        "lat_max": 30.0,
        "lat_min": 0.05,
        "lat_p50": 0.19,
        "lat_p90": 0.31,
        "lat_p99": 0.9,
    },
    "blue": {
        "req": 1080,
        "err": 10,
        "lat": 0.09,
        "lat_n": 1080,
        "lat_max": 0.8,
        "lat_min": 0.01,
        "lat_p50": 0.07,
        "lat_p90": 0.15,
        "lat_p99": 0.4,
    },
}


def _answer(minute: dict[str, dict[str, float]]) -> dict[str, Any]:
    when = dt.datetime.fromtimestamp(T0, dt.UTC)
    results = [
        {
            "Id": comparison_id(colour, key),  # type: ignore[arg-type]  # "blue" or "green"
            "Label": key,
            "Timestamps": [when],
            "Values": [value],
            "StatusCode": "Complete",
        }
        for colour, values in minute.items()
        for key, value in values.items()
    ]
    return {"MetricDataResults": results, "Messages": []}


def _signal(
    percentiles: bool, minute: dict[str, dict[str, float]]
) -> tuple[MetricAnalysis, Stubber, list[dict[str, Any]]]:
    client = boto3.client(
        "cloudwatch", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response("get_metric_data", _answer(minute))
    asked: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **_: asked.append(params),
    )
    analysis = Analysis.model_validate(
        {"settle_seconds": 0, "compare": {"latency": {"percentiles": percentiles}}}
    )
    signal = MetricAnalysis(client, analysis, DIMS, lambda: T0 + 61.0)
    signal.start_step("green", 10, T0, 300)
    return signal, stubber, asked


def test_percentiles_are_asked_for_and_decide_when_the_mean_cannot() -> None:
    signal, stubber, asked = _signal(True, MINUTE)
    with stubber:
        reading = signal.poll("green")
    stats = {q["Id"]: q["MetricStat"]["Stat"] for q in asked[0]["MetricDataQueries"]}
    assert stats["cmp_green_lat_p90"] == "p90" and stats["cmp_blue_lat_p99"] == "p99"
    latency = {v.check: v for v in signal.latest}["latency"]
    assert reading.state == "firing"
    assert latency.verdict == "fail" and latency.test == "p90 exceedance"
    # p50 0.19 > live's p90 0.15: at least 120 - ceil(0.5 * 120) = 60 of 120.
    assert "60 of 120 new-colour requests slower than live's p90" in latency.detail


def test_without_percentiles_the_same_minute_only_waits() -> None:
    plain = {c: {k: v for k, v in m.items() if "_p" not in k} for c, m in MINUTE.items()}
    signal, stubber, asked = _signal(False, plain)
    with stubber:
        reading = signal.poll("green")
    assert not any("_p" in q["Id"] for q in asked[0]["MetricDataQueries"])
    latency = {v.check: v for v in signal.latest}["latency"]
    assert reading.state == "ok" and latency.test == "mean z" and latency.verdict != "fail"
