"""Routes on an existing load balancer: what the environment file accepts, the ALB limits zdd
checks itself (moto does not), and what the stack renders (rules only, no load balancer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config import load_environment
from generator.infra.render import render_stack
from tests.conftest import ROOT

ORDERS = ROOT / "tests" / "fixtures" / "routes" / "orders.yaml"
LB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shared/50dc6c495c0c9188"
OTHER_LISTENER = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/other/50dc6c495c0c9188/ab12"
)


def _write(tmp_path: Path, **load_balancer: Any) -> Path:
    data = yaml.safe_load(ORDERS.read_text())
    for key, value in load_balancer.items():
        if value is None:
            data["load_balancer"].pop(key, None)
        else:
            data["load_balancer"][key] = value
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rule": {"priority": 0, "hosts": ["a.example.com"]}}, "rule.priority"),
        ({"rule": {"priority": 50001, "hosts": ["a.example.com"]}}, "rule.priority"),
        ({"rule": {"priority": 10}}, "a rule needs at least one of hosts or paths"),
        (
            {"rule": {"priority": 10, "hosts": [f"h{i}.example.com" for i in range(6)]}},
            "at most 5 condition values",
        ),
        ({"rule": {"priority": 10, "paths": ["orders/*"]}}, "is not a path pattern"),
        ({"rule": {"priority": 10, "hosts": ["a b.com"]}}, "is not a host header value"),
        ({"rule": None}, "rule: an existing listener needs a rule"),
        ({"listener_arn": OTHER_LISTENER}, "is not a listener of the load balancer"),
        ({"listener_arn": None, "extra_listener_arns": []}, "needs listener_arn"),
        ({"arn": LB.replace("eu-west-1", "us-east-1")}, "is not a listener of the load balancer"),
        ({"header_route": {"priority": 10, "header": "X-C", "value": "1"}}, "must be lower"),
        ({"header_route": {"priority": 1, "header": "X C", "value": "1"}}, "HTTP header name"),
        ({"header_route": {"priority": 1, "header": "X-C", "value": "*"}}, "no wildcard"),
        ({"header_route": {"priority": 1, "cookie": "canary=*"}}, "exactly NAME=VALUE"),
        ({"header_route": {"priority": 1, "header": "Cookie", "value": "a=1"}}, "use rule.hosts"),
        ({"security_group_id": "sg-1"}, "must be a security group id"),
        ({"web_acl_arn": None, "idle_timeout": 30}, "idle_timeout: describes a load balancer"),
    ],
)
def test_bad_routes_are_one_line_exit_2(run_cli, tmp_path: Path, change, expected) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", "--env", str(_write(tmp_path, **change)))
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert any(
        "orders.yaml" in line and "load_balancer" in line and expected in line for line in lines
    ), lines


def test_a_rule_without_an_existing_load_balancer_is_refused(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(
        tmp_path, arn=None, listener_arn=None, extra_listener_arns=[], security_group_id=None
    )
    result = run_cli("validate", "--env", str(path))
    assert result.exit_code == 2
    assert "need arn (an existing load balancer)" in result.stderr


def test_the_example_validates(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", "--env", str(ORDERS))
    assert result.exit_code == 0, result.stderr


def test_an_existing_load_balancer_renders_rules_and_no_load_balancer() -> None:
    stack = render_stack(load_environment(ORDERS))
    main, routes, outputs = (
        stack.files["main.tf"],
        stack.files["routes.tf"],
        stack.files["outputs.tf"],
    )
    assert 'module "alb"' not in main and 'aws_lb_listener"' not in routes
    assert 'resource "aws_lb" ' not in main + routes  # read with a data source only
    assert 'data "aws_lb" "existing"' in routes
    assert "alb_security_group_id = local.load_balancer.security_group_id" in main
    assert routes.count('resource "aws_lb_listener_rule"') == 2
    assert "ignore_changes = [action]" in routes
    assert 'http_header_name = "X-Zdd-Colour"' in routes
    assert "target_group_arn = module.green.target_group_arn" in routes  # the idle colour
    assert 'output "routes"' in outputs and "local.routes" in outputs
    assert "sg-0123456789abcdef0" in routes


def test_a_default_route_stack_keeps_its_addresses() -> None:
    """Stacks applied before routes existed plan cleanly: same resources, no moved blocks needed."""
    stack = render_stack(load_environment(ROOT / "environments" / "staging.yaml"))
    assert "routes.tf" not in stack.files
    golden = (ROOT / "tests" / "fixtures" / "golden" / "staging" / "main.tf").read_text()
    assert stack.files["main.tf"] == golden
    assert 'kind = "default"' in stack.files["outputs.tf"]


def test_the_hooks_get_the_header(tmp_path: Path) -> None:
    from generator.hooks import hook_runner_for
    from generator.infra.outputs import StackOutputs

    env = load_environment(ORDERS)
    tg = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-staging-{}/0123"
    outputs = StackOutputs(
        listener_arn=env.load_balancer.listener_arns[0],
        target_group_arns={c: tg.format(c) for c in ("blue", "green")},
        alarm_names={"blue": [], "green": []},
        load_balancer_dns_name="shared-1.eu-west-1.elb.amazonaws.com",
    )
    base = hook_runner_for(env, outputs, tmp_path).base_env()
    assert base["ZDD_TEST_HEADER_NAME"] == "X-Zdd-Colour"
    assert base["ZDD_TEST_HEADER_VALUE"] == "idle"
    assert "ZDD_TEST_URL" not in base  # no test listener on an existing load balancer
    assert base["ZDD_PRODUCTION_URL"] == "http://shared-1.eu-west-1.elb.amazonaws.com:80"


def test_plan_time_check_names_a_missing_listener(aws) -> None:  # type: ignore[no-untyped-def]
    from generator.errors import InputError
    from generator.infra.existing_lb import check_existing_listeners

    elbv2 = aws.client("elbv2")
    listener = aws.outputs.listener_arn
    lb = elbv2.describe_listeners(ListenerArns=[listener])["Listeners"][0]["LoadBalancerArn"]
    env = load_environment(ORDERS)
    found = env.model_copy(
        update={
            "load_balancer": env.load_balancer.model_copy(
                update={"arn": lb, "listener_arn": listener, "extra_listener_arns": []}
            )
        }
    )
    check_existing_listeners(elbv2, found, "orders.yaml")  # exists: nothing to say
    gone = listener[:-4] + "beef"
    missing = found.model_copy(
        update={
            "load_balancer": found.load_balancer.model_copy(update={"extra_listener_arns": [gone]})
        }
    )
    with pytest.raises(InputError) as caught:
        check_existing_listeners(elbv2, missing, "orders.yaml")
    assert str(caught.value) == (
        f"orders.yaml: load_balancer.extra_listener_arns.0: no listener {gone} of load balancer "
        f"{lb} in eu-west-1 (check the ARN, the account and the region)"
    )
    assert caught.value.exit_code == 2


def test_plan_time_check_refuses_a_priority_another_rule_holds(aws) -> None:  # type: ignore[no-untyped-def]
    from generator.errors import InputError
    from generator.infra.existing_lb import check_existing_listeners

    elbv2 = aws.client("elbv2")
    listener = aws.outputs.listener_arn
    lb = elbv2.describe_listeners(ListenerArns=[listener])["Listeners"][0]["LoadBalancerArn"]
    env = load_environment(ORDERS)
    env = env.model_copy(
        update={
            "load_balancer": env.load_balancer.model_copy(
                update={"arn": lb, "listener_arn": listener, "extra_listener_arns": []}
            )
        }
    )
    rule = elbv2.create_rule(
        ListenerArn=listener,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/x/*"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Rules"][0]["RuleArn"]
    try:
        with pytest.raises(InputError) as caught:
            check_existing_listeners(elbv2, env, "orders.yaml")
        assert str(caught.value).startswith(
            f"orders.yaml: load_balancer.rule.priority: 10 is taken on listener {listener} "
            f"by rule {rule}, which is not this service's"
        )
        # The service's own rule (tagged by its stack) holds it on a second plan: fine.
        tags = [
            {"Key": "zdd:service", "Value": "orders"},
            {"Key": "zdd:environment", "Value": "staging"},
        ]
        elbv2.add_tags(ResourceArns=[rule], Tags=tags)
        check_existing_listeners(elbv2, env, "orders.yaml")
    finally:
        elbv2.delete_rule(RuleArn=rule)


def test_deploy_checks_the_listeners_before_terraform(aws, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    elbv2 = aws.client("elbv2")
    listener = aws.outputs.listener_arn
    lb = elbv2.describe_listeners(ListenerArns=[listener])["Listeners"][0]["LoadBalancerArn"]
    gone = listener[:-4] + "beef"
    path = _write(tmp_path, arn=lb, listener_arn=gone, extra_listener_arns=[])
    result = run_cli("deploy", "--version", "1.1.0", "--env", str(path), cwd=tmp_path)
    assert result.exit_code == 2, result.stderr
    assert f"load_balancer.listener_arn: no listener {gone}" in result.stderr
    assert not (tmp_path / "build").exists()
