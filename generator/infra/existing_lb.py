"""An existing load balancer named in the environment file, checked before Terraform runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
