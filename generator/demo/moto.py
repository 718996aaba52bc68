"""moto with zdd's additions: the one emulator of ``zdd demo``, the tests and the benchmarks.

``python -m generator.demo.moto -H 127.0.0.1 -p PORT`` is moto_server with them (what
``emulator.moto_server_process`` starts); ``emulator.moto_server`` applies the same
additions to a server inside the demo's process.

* ``create_network`` makes what ``environments/*.yaml`` name in a real account and moto
  lacks: a VPC, subnets in distinct availability zones, an ACM certificate; and
  ``environment_with_network`` writes a copy of an environment file that uses them.
* ``extend_moto`` (applied by ``serve``): the Application Auto Scaling tagging actions
  the provider calls after every scalable target (moto 5.2 answers them with HTTP 500,
  retried for ~12 minutes), the round trips a clean re-plan needs, and ECS's scheduler
  (``ecs_scheduler``: services start tasks and register them as targets); AWS managed
  IAM policies are loaded.
* ``write_emulator_override`` gives a rendered stack provider settings for an
  emulator (one retry instead of 25); ``terraform_environ`` points terraform at it.

Nothing here can shorten the load balancer: the provider waits 30 s before each of its
two "active?" checks after CreateLoadBalancer, and moto answers "active" to the first.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml

REGION = "eu-west-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Network:
    """A VPC, its subnets (one per availability zone) and a certificate for HTTPS."""

    vpc_id: str
    cidr: str
    subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]
    certificate_arn: str | None = None


def terraform_environ(endpoint_url: str, region: str = REGION) -> dict[str, str]:
    """Variables that point terraform's AWS provider (and boto3) at moto_server.

    The provider honours ``AWS_ENDPOINT_URL`` for every service; the fake
    credentials stop it from looking for real ones (instance metadata included).
    """
    environ = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return {
        **environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
    }


EMULATOR_OVERRIDE = """\
# Written by zdd's test harness: AWS provider settings for an emulator (moto_server).
# The endpoint comes from AWS_ENDPOINT_URL. By default the provider retries an
# HTTP 500 25 times, backing off up to 20 s: an action the emulator lacks would
# stall an apply for ~12 minutes instead of failing with its name within seconds.
# Three attempts still cover a connection the emulator drops under load.
provider "aws" {
  max_retries             = 3
  skip_metadata_api_check = true
}
"""


def write_emulator_override(stack_dir: Path) -> Path:
    """Add ``emulator_override.tf`` to a rendered stack (Terraform merges it into ``provider``)."""
    target = stack_dir / "emulator_override.tf"
    target.write_text(EMULATOR_OVERRIDE, encoding="utf-8")
    return target


def _client(endpoint_url: str, service: str, region: str) -> Any:
    make: Any = boto3.client  # typed per service name; this one takes any
    return make(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def create_network(
    endpoint_url: str,
    region: str = REGION,
    *,
    cidr: str = "10.42.0.0/16",
    subnets: int = 3,
) -> Network:
    """Create a VPC and ``subnets`` subnets (/24), each in its own availability zone."""
    if not 2 <= subnets <= 6:
        raise ValueError("subnets: between 2 and 6")
    ec2 = _client(endpoint_url, "ec2", region)
    zones = [
        z["ZoneName"]
        for z in ec2.describe_availability_zones()["AvailabilityZones"]
        if z.get("State", "available") == "available"
    ]
    if len(zones) < subnets:
        raise ValueError(f"{region} has {len(zones)} availability zones, {subnets} wanted")
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    blocks = ipaddress.ip_network(cidr).subnets(new_prefix=24)
    subnet_ids = []
    for zone, block in zip(zones[:subnets], blocks, strict=False):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=str(block), AvailabilityZone=zone)
        subnet_ids.append(subnet["Subnet"]["SubnetId"])
    # An HTTPS listener needs a certificate ACM knows, or CreateListener answers
    # CertificateNotFound, which the provider retries for 5 minutes.
    certificate = _client(endpoint_url, "acm", region).request_certificate(
        DomainName="shop.zdd.example"
    )["CertificateArn"]
    return Network(vpc_id, cidr, tuple(subnet_ids), tuple(zones[:subnets]), certificate)


def environment_with_network(
    source: Path, network: Network, dest_dir: Path, *, keep_state: bool = False
) -> Path:
    """Copy ``source`` into ``dest_dir`` with ``network``'s VPC, subnet and certificate IDs.

    Every ``network`` key ending in ``subnet_ids`` (task subnets, and ALB subnets
    once the file has them) gets as many of the created subnets as it listed,
    at least two; a ``load_balancer.certificate_arn`` becomes the network's. The
    ``state`` section (an S3 backend in a real account) is dropped unless
    ``keep_state``: the stack then keeps local state beside it.
    """
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    net = dict(data.get("network") or {})
    net["vpc_id"] = network.vpc_id
    for key, value in list(net.items()):
        if key.endswith("subnet_ids"):
            wanted = max(2, len(value) if isinstance(value, list) else 0)
            net[key] = list(network.subnet_ids[: min(wanted, len(network.subnet_ids))])
    data["network"] = net
    balancer = data.get("load_balancer") or {}
    if balancer.get("certificate_arn") and network.certificate_arn:
        balancer["certificate_arn"] = network.certificate_arn
    if not keep_state:
        data.pop("state", None)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / source.name
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def extend_moto() -> None:
    """Teach this process's moto what terraform's AWS provider and zdd need and moto 5.2 lacks.

    * Application Auto Scaling: the provider reads every scalable target's tags
      with ListTagsForResource after creating it; moto 5.2 has no tagging actions
      there and answers HTTP 500 for an action it lacks, which the provider retries
      for ~12 minutes. These actions keep tags per ARN, including those given at
      registration.
    * Round trips, so that a plan right after apply has no changes: ECS services
      echo ``availabilityZoneRebalancing`` (AWS answers DISABLED when none was given) and
      ``healthCheckGracePeriodSeconds``, and security group rules that reference a group
      keep their description.
    * ECS's scheduler (``ecs_scheduler``): services start tasks, register them in their
      target group and settle (or fail) their rollouts.

    Idempotent: the tests, the demo and ``serve`` may all call it.
    """
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    from generator.demo.ecs_scheduler import install_ecs_scheduler

    if getattr(ApplicationAutoScalingResponse, "_zdd_tagging", False):
        return
    _round_trip_ecs_and_security_group_rules()
    _autoscaling_tags(ApplicationAutoScalingResponse)
    install_ecs_scheduler()


def _autoscaling_tags(cls: Any) -> None:
    register = cls.register_scalable_target

    def store(self: Any) -> dict[str, dict[str, str]]:
        backend = self.applicationautoscaling_backend
        if not hasattr(backend, "zdd_tags"):
            backend.zdd_tags = {}
        tags: dict[str, dict[str, str]] = backend.zdd_tags
        return tags

    def register_scalable_target(self: Any) -> str:
        body: str = register(self)
        tags = self._get_param("Tags")
        if tags:
            arn = json.loads(body)["ScalableTargetARN"]
            store(self).setdefault(arn, {}).update(tags)
        return body

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": store(self).get(self._get_param("ResourceARN"), {})})

    def tag_resource(self: Any) -> str:
        store(self).setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags"))
        return "{}"

    def untag_resource(self: Any) -> str:
        tags = store(self).get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    cls.register_scalable_target = register_scalable_target
    cls.list_tags_for_resource = list_tags_for_resource
    cls.tag_resource = tag_resource
    cls.untag_resource = untag_resource
    cls._zdd_tagging = True


# Service settings moto 5.2 accepts but leaves out of DescribeServices.
_ECS_SERVICE_ECHOED = {
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
}


def _round_trip_ecs_and_security_group_rules() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.ecs.models import Service
    from moto.ecs.responses import EC2ContainerServiceResponse

    def description(self: Any) -> str | None:
        found = (self.ip_range or {}).get("Description") or (self.source_group or {}).get(
            "Description"
        )
        return None if found is None else str(found)

    rule: Any = SecurityGroupRule
    rule.description = property(description)
    service: Any = Service
    if not hasattr(service, "availability_zone_rebalancing"):
        service.availability_zone_rebalancing = "DISABLED"

    ecs: Any = EC2ContainerServiceResponse
    for action in ("create_service", "update_service"):

        def echo(self: Any, _original: Any = getattr(ecs, action)) -> Any:
            result = _original(self)
            for param, attribute in _ECS_SERVICE_ECHOED.items():
                value = self._get_param(param)
                if value is not None:
                    setattr(result.result["service"], attribute, value)
            return result

        setattr(ecs, action, echo)


def serve(argv: list[str] | None = None) -> None:
    """``moto_server`` with ``extend_moto`` applied; same arguments.

    AWS managed policies are loaded (moto leaves them out by default), so that
    attaching AmazonECSTaskExecutionRolePolicy works as in a real account.
    """
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    extend_moto()
    from moto.server import main

    main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    serve()
