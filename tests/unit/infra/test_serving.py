"""Shared infrastructure: each change is safe while serving or touches what serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.infra.guard import judge
from generator.infra.plan import changed_attributes, load_plan, parse_plan
from generator.infra.provision import GuardedPlan
from generator.infra.serving import classify
from generator.pipeline.plan_report import plan_markdown
from tests.conftest import FIXTURES

PLANS = FIXTURES / "plans"
STAGING = "environments/staging.yaml"


def _plan(rtype: str, before: Any, after: Any, unknown: Any = None, actions: Any = None) -> Any:
    return parse_plan(
        {
            "format_version": "1.2",
            "resource_changes": [
                {
                    "address": f"module.alb.{rtype}.this",
                    "module_address": "module.alb",
                    "type": rtype,
                    "name": "this",
                    "change": {
                        "actions": actions or ["update"],
                        "before": before,
                        "after": after,
                        "after_unknown": unknown or {},
                    },
                }
            ],
        },
        "plan.json",
    )


def test_an_update_names_the_attributes_that_differ_or_are_unknown() -> None:
    change = {
        "before": {"port": 443, "ssl_policy": "old", "tags": {"a": "1"}, "arn": "x"},
        "after": {"port": 443, "ssl_policy": "new", "tags": {"a": "1"}, "arn": "x"},
        "after_unknown": {"certificate_arn": True, "default_action": [{"forward": [{}]}]},
    }
    assert changed_attributes(change) == ("certificate_arn", "ssl_policy")
    assert changed_attributes({"before": None, "after": {}}) is None


@pytest.mark.parametrize(
    ("rtype", "before", "after", "safe", "words"),
    [
        ("aws_lb", {"tags": {}}, {"tags": {"Team": "a"}}, True, "tags"),
        ("aws_lb", {"subnets": ["a"]}, {"subnets": ["b"]}, False, "subnets: the subnets"),
        ("aws_lb", {"idle_timeout": 60}, {"idle_timeout": 30}, False, "idle_timeout"),
        ("aws_lb_listener", {"ssl_policy": "a"}, {"ssl_policy": "b"}, False, "TLS versions"),
        ("aws_lb_listener", {"port": 80}, {"port": 8080}, False, "port: where clients"),
        ("aws_security_group", {"ingress": []}, {"ingress": [{}]}, False, "let in"),
        (
            "aws_vpc_security_group_ingress_rule",
            {"cidr_ipv4": "0.0.0.0/0"},
            {"cidr_ipv4": "10.0.0.0/8"},
            False,
            "cidr_ipv4: which traffic the security group lets through",
        ),
        (
            "aws_vpc_security_group_ingress_rule",
            {"description": "a"},
            {"description": "b"},
            True,
            "note",
        ),
        ("aws_cloudwatch_metric_alarm", {"threshold": 1}, {"threshold": 2}, True, "watches"),
        (
            "aws_cloudwatch_metric_alarm",
            {"alarm_actions": ["x"]},
            {"alarm_actions": []},
            False,
            "scale",
        ),
        (
            "aws_cloudwatch_log_group",
            {"retention_in_days": 7},
            {"retention_in_days": 30},
            True,
            "kept",
        ),
        ("aws_ecs_cluster", {"setting": []}, {"setting": [{}]}, True, "Container Insights"),
        ("aws_made_up_thing", {"tags": {}}, {"tags": {"a": "b"}}, True, "tags"),
        ("aws_made_up_thing", {"knob": 1}, {"knob": 2}, False, "not known to be safe"),
    ],
)
def test_each_in_place_update_gets_its_class(
    rtype: str, before: dict[str, Any], after: dict[str, Any], safe: bool, words: str
) -> None:
    shared = classify(_plan(rtype, before, after).changes[0])
    assert shared.safe is safe
    assert words in shared.reason
    verdict = judge(_plan(rtype, before, after), "blue")
    assert verdict.accepted is safe
    assert verdict.shared == (shared,)


def test_one_touching_attribute_among_safe_ones_refuses_naming_only_it() -> None:
    plan = _plan("aws_lb", {"tags": {}, "internal": False}, {"tags": {"a": "b"}, "internal": True})
    verdict = judge(plan, "green")
    assert not verdict.accepted
    (violation,) = verdict.violations
    assert (
        "touches what serves: internal: whether the load balancer is reachable" in violation.reason
    )
    assert "tags" not in violation.reason


@pytest.mark.parametrize(
    ("before", "after", "unknown"),
    [
        (None, None, None),  # the plan does not say what changes
        ({"a": 1}, {"a": 1}, None),  # an update with no visible difference
    ],
)
def test_an_update_that_cannot_be_read_touches_what_serves(
    before: Any, after: Any, unknown: Any
) -> None:
    verdict = judge(_plan("aws_lb", before, after, unknown), "blue")
    assert not verdict.accepted
    assert verdict.shared[0].klass == "touches what serves"


@pytest.mark.parametrize(
    ("actions", "safe", "words"),
    [
        (["create"], True, "new"),
        (["delete"], False, "deleted"),
        (["create", "delete"], False, "replaced"),
        (["delete", "create"], False, "replaced"),
        (["forget"], False, "deleted"),
    ],
)
def test_creates_are_safe_deletes_and_replacements_are_not(
    actions: list[str], safe: bool, words: str
) -> None:
    verdict = judge(_plan("aws_lb_listener", None, {}, actions=actions), "blue")
    assert verdict.accepted is safe
    assert words in verdict.shared[0].reason


def test_only_shared_changes_get_a_class() -> None:
    """Colour resources are judged by colour; shared no-ops have nothing to class."""
    verdict = judge(load_plan(PLANS / "mixed-two-offences-refuse.json"), "blue")
    addresses = {c.address for c in verdict.shared}
    assert addresses == {"module.alb.aws_lb_listener.production", "module.alb.aws_lb.this"}


def test_plan_output_shows_the_class_of_each_shared_change(run_cli) -> None:
    path = PLANS / "shared-alarm-update-accept.json"
    result = run_cli("check-plan", str(path), "--env", STAGING, "--live", "blue")
    assert result.exit_code == 0, result.stderr
    assert (
        "shared aws_cloudwatch_metric_alarm.alb_5xx [update]: safe while serving: "
        "threshold, treat_missing_data: changes what watches, not what serves"
    ) in result.stdout


@pytest.mark.parametrize(
    ("fixture", "attribute"),
    [
        ("lb-touch-refuse", "subnets"),
        ("listener-touch-refuse", "certificate_arn"),
        ("ingress-touch-refuse", "cidr_ipv4"),
    ],
)
def test_a_shared_change_touching_what_serves_is_refused_with_exit_3(
    run_cli, fixture: str, attribute: str
) -> None:
    path = PLANS / f"{fixture}.json"
    result = run_cli("check-plan", str(path), "--env", STAGING, "--live", "green")
    assert result.exit_code == 3
    assert f"touches what serves: {attribute}: " in result.stderr
    assert "touches what serves" in result.stdout  # the plan summary shows its class too
    forced = run_cli(
        "check-plan", str(path), "--env", STAGING, "--live", "green", "--allow-live-changes"
    )
    assert forced.exit_code == 0
    assert "WARNING" in forced.stderr and attribute in forced.stderr


def test_json_lists_shared_changes_with_class_attributes_and_reason(run_cli) -> None:
    path = PLANS / "lb-touch-refuse.json"
    result = run_cli("check-plan", str(path), "--env", STAGING, "--live", "blue", "--json")
    assert result.exit_code == 3
    shared = json.loads(result.stdout.splitlines()[0])["shared_changes"]
    assert shared == [
        {
            "address": "module.alb.aws_lb.this",
            "actions": ["update"],
            "class": "touches",
            "attributes": ["subnets"],
            "reason": "subnets: the subnets where the load balancer takes traffic",
        }
    ]


def test_the_ci_summary_shows_each_shared_change_with_its_class() -> None:
    plan = load_plan(PLANS / "ingress-update-accept.json")
    guarded = GuardedPlan(Path("p.tfplan"), plan, judge(plan, "blue"))
    markdown = plan_markdown("staging", guarded)
    assert "Shared infrastructure" in markdown
    assert "**safe while serving**: description: a note on the rule" in markdown
    assert "Other allowed changes" not in markdown  # listed once, with its class
