"""The moto path of the analysis benchmark: simulated minutes pushed with PutMetricData,
read back by the real ``MetricAnalysis`` with GetMetricData, compared with the direct
computation of ``analysis_bench`` on the same counts."""

from __future__ import annotations

import random
from typing import Any

from benchmarks.analysis_bench import LOOKS, Scenario, _minutes, zdd_minute
from generator.config import load_environment
from generator.config.analysis import Analysis
from generator.demo.traffic import put_period
from generator.rollout.analysis.queries import Dimensions
from generator.rollout.aws.metric_analysis import MetricAnalysis

T0 = 1_700_000_040


def moto_path(runs: int, alpha: float = 0.05) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from generator.demo.emulator import create_twin_environments

    scenarios = [
        Scenario("x3", 10, 20, error_x=3),
        Scenario("null", 10, 20),
        Scenario("latency +200%", 10, 20, latency_x=3),
    ]
    analysis = Analysis.model_validate({"settle_seconds": 0, "compare": {"alpha": alpha}})
    agree, calls, detected = 0, 0, 0
    env = load_environment("staging")
    with mock_aws():
        session = boto3.Session(region_name=env.region)
        outputs = create_twin_environments(session, env)
        cloudwatch = session.client("cloudwatch")
        assert outputs.load_balancer_arn_suffix and outputs.target_group_arn_suffixes
        dims = Dimensions(outputs.load_balancer_arn_suffix, outputs.target_group_arn_suffixes)
        for run in range(runs):
            s = scenarios[run % len(scenarios)]
            minutes = _minutes(random.Random(5_000 + run), s)
            start = T0 + 3600 * run  # an hour per run: moto keeps every datapoint
            now = [float(start)]
            signal = MetricAnalysis(cloudwatch, analysis, dims, lambda clock=now: clock[0])
            signal.start_step("green", s.weight, start, LOOKS * 60)
            through_moto = None
            for k, minute in enumerate(minutes):
                put_period(cloudwatch, outputs, start + 60 * k, minute)
                now[0] = start + 60 * (k + 1)
                if signal.poll("green").state == "firing":
                    through_moto = k + 1
                    break
            calls += signal.calls
            detected += through_moto is not None
            agree += through_moto == zdd_minute(minutes, analysis.compare)
    return {"runs": runs, "agree": agree, "detected": detected, "get_metric_data_calls": calls}
