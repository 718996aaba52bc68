"""The analysis section and the conditions of metric checks: parsed, never eval'd."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from generator.config.analysis import Analysis, MetricCheck
from generator.config.conditions import ConditionError, parse_condition
from generator.config.rollout import Hooks


@pytest.mark.parametrize(
    ("text", "value", "live", "expected"),
    [
        ("< 0.01", 0.005, None, True),
        ("< 0.01", 0.01, None, False),
        ("<= live * 1.2", 1.2, 1.0, True),
        ("<= live * 1.2", 1.21, 1.0, False),
        (">= live - 5", 96, 100, True),
        ("> (live + 2) / 2", 3, 2, True),
        ("== -1", -1, None, True),
        ("!= 2e-3", 0.002, None, False),
        ("<= 2 * live + 1", 7, 3, True),
        ("<= live", 5, None, None),  # live missing: cannot judge
        ("< 1 / live", 5, 0, True),  # division by zero is +infinity, not an error
    ],
)
def test_conditions_hold(text: str, value: float, live: float | None, expected: bool) -> None:
    assert parse_condition(text).holds(value, live) is expected


def test_precedence_and_live_use() -> None:
    condition = parse_condition("< 1 + 2 * 3")
    assert condition.expression.evaluate(None) == 7
    assert not condition.uses_live
    assert parse_condition("<= -(live)").uses_live
    assert math.isnan(parse_condition("< 0").holds(math.nan) or math.nan)


@pytest.mark.parametrize(
    "text",
    [
        "0.01",  # no operator
        "< ",  # no expression
        "< __import__('os')",
        "< live.x",
        "< 1 +",
        "< (1",
        "< 1)",
        "< live live",
        "< 1e999",
        "=< 1",
        "< " + "(" * 30 + "1" + ")" * 30,
        "< " + "1+" * 200 + "1",
    ],
)
def test_bad_conditions_are_refused(text: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(text)


def test_analysis_section_defaults_and_limits() -> None:
    analysis = Analysis()
    assert analysis.compare.alpha == 0.01
    assert analysis.period_seconds == 60
    for bad in (
        {"period_seconds": 45},
        {"settle_seconds": float("nan")},
        {"settle_seconds": float("inf")},
        {"compare": {"alpha": 0.5}},
        {"compare": {"alpha": float("nan")}},
        {"compare": {"alpha": 0.05, "marginal_alpha": 0.01}},
        {"compare": {"errors": {"min_ratio": 0.5}}},
        {"compare": {"surprise": 1}},
    ):
        with pytest.raises(ValidationError):
            Analysis.model_validate(bad)


def test_metric_checks_validate_at_load_time() -> None:
    check = MetricCheck.model_validate(
        {
            "name": "error_percent",
            "expression": "100 * errors / requests",
            "metrics": {
                "errors": {
                    "namespace": "AWS/ApplicationELB",
                    "name": "HTTPCode_Target_5XX_Count",
                    "stat": "Sum",
                    "dimensions": {"TargetGroup": "{target_group}"},
                },
                "requests": {
                    "namespace": "AWS/ApplicationELB",
                    "name": "RequestCount",
                    "stat": "Sum",
                },
            },
            "condition": "<= live * 1.5",
        }
    )
    assert check.failure_limit == 0
    base = {"name": "x", "metric": {"namespace": "N", "name": "M"}, "condition": "< 1"}
    for change in (
        {"condition": "< os.system('x')"},
        {"name": "Bad-Name"},
        {"metric": None},
        {"expression": "a", "metrics": {}},
        {"metric": {"namespace": "N", "name": "M", "stat": "Median"}},
        {"metric": {"namespace": "N", "name": "M", "dimensions": {"D": "{account}"}}},
    ):
        with pytest.raises(ValidationError):
            MetricCheck.model_validate({**base, **change})
    with pytest.raises(ValidationError, match="unique"):
        Analysis.model_validate({"checks": [base, base]})


def test_hook_items_name_their_kind() -> None:
    hooks = Hooks.model_validate(
        {
            "post_test_traffic": [
                {"command": ["./smoke.sh"]},
                {"http": {"path": "/healthz", "body_contains": "ok"}},
                {"ecs_task": {"command": ["pytest", "smoke"]}},
                {"lambda": {"function": "smoke-tests", "payload": {"suite": "quick"}}},
            ],
            "pre_step": [{"command": ["true"]}],
        }
    )
    kinds = [type(h).__name__ for h in hooks.post_test_traffic]
    assert kinds == ["Hook", "HttpHook", "EcsTaskHook", "LambdaHook"]
    for bad in (
        {"nope": 1},
        {"command": ["x"], "http": {}},
        {"http": {"path": "no-slash"}},
        {"http": {"expect_status": [700]}},
    ):
        with pytest.raises(ValidationError):
            Hooks.model_validate({"pre_traffic": [bad]})
