"""An existing load balancer named in the environment file, checked before Terraform runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.config import Environment
from generator.errors import AwsError, InputError

if TYPE_CHECKING:
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


def check_existing_listeners(
    elbv2: ElasticLoadBalancingv2Client, env: Environment, source: str
) -> None:
    """Each listener of ``load_balancer`` exists in the environment's region (else exit 2).

    The region is the client's: a listener of another region or account looks absent."""
    from botocore.exceptions import BotoCoreError, ClientError

    lb = env.load_balancer
    for field, arn in zip(
        ["listener_arn"] + [f"extra_listener_arns.{i}" for i in range(len(lb.extra_listener_arns))],
        lb.listener_arns,
        strict=True,
    ):
        try:
            found = elbv2.describe_listeners(ListenerArns=[arn]).get("Listeners", [])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in ("ListenerNotFound", "LoadBalancerNotFound", "ValidationError"):
                raise AwsError(f"DescribeListeners on {arn} failed: {code}") from None
            found = []
        except BotoCoreError as exc:
            raise AwsError(f"DescribeListeners on {arn} failed: {exc}") from None
        if not found or found[0].get("LoadBalancerArn") != lb.arn:
            raise InputError(
                f"{source}: load_balancer.{field}: no listener {arn} of load balancer "
                f"{lb.arn} in {env.region} (check the ARN, the account and the region)"
            )
        _check_priorities(elbv2, env, source, arn)


def _check_priorities(
    elbv2: ElasticLoadBalancingv2Client, env: Environment, source: str, listener: str
) -> None:
    """The rule's (and header route's) priority is free on ``listener``, or this service's
    already (its rules carry the stack's ``zdd:service`` and ``zdd:environment`` tags):
    CreateRule would fail with PriorityInUse half way through an apply."""
    from botocore.exceptions import BotoCoreError, ClientError

    lb = env.load_balancer
    wanted = {lb.rule.priority: "rule.priority"} if lb.rule else {}
    if lb.header_route is not None:
        wanted[lb.header_route.priority] = "header_route.priority"
    try:
        rules = _rules(elbv2, listener)
        taken = [
            r for r in rules if r.get("Priority", "").isdigit() and int(r["Priority"]) in wanted
        ]
        tags = (
            elbv2.describe_tags(ResourceArns=[r["RuleArn"] for r in taken])["TagDescriptions"]
            if taken
            else []
        )
    except (BotoCoreError, ClientError) as exc:
        raise AwsError(f"DescribeRules on {listener} failed: {exc}") from None
    mine = {"zdd:service": env.service, "zdd:environment": env.name}
    tags_of = {d.get("ResourceArn"): d.get("Tags", []) for d in tags}
    for rule in taken:
        found = {t["Key"]: t.get("Value") for t in tags_of.get(rule["RuleArn"], [])}
        if any(found.get(k) != v for k, v in mine.items()):
            priority = int(rule["Priority"])
            raise InputError(
                f"{source}: load_balancer.{wanted[priority]}: {priority} is taken on listener "
                f"{listener} by rule {rule['RuleArn']}, which is not this service's "
                "(choose a free priority)"
            )


def _rules(elbv2: ElasticLoadBalancingv2Client, listener: str) -> list[Any]:
    rules: list[Any] = []
    page = elbv2.describe_rules(ListenerArn=listener)
    rules.extend(page.get("Rules", []))
    while page.get("NextMarker"):
        page = elbv2.describe_rules(ListenerArn=listener, Marker=page["NextMarker"])
        rules.extend(page.get("Rules", []))
    return rules
