"""Create an environment's twin stacks in an AWS emulator (moto), offline.

This stands in for ``terraform apply`` where no AWS provider can run: it builds
what the modules would (load balancer, target groups, weighted listener, test
listener, rollback alarms) from the same Environment model, and returns exactly
the stack outputs contract, so everything after it runs the production code path.
The VPC and subnets are the emulator's own: the model's IDs do not exist there.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.colours import COLOURS, Colour, other_colour
from generator.config import Environment
from generator.infra.outputs import StackOutputs

if TYPE_CHECKING:
    import boto3

EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Emulator:
    endpoint: str
    region: str

    def environ(self) -> dict[str, str]:
        """Variables that point boto3 (and a zdd subprocess) at this emulator."""
        return {
            **EMULATOR_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def session(self) -> boto3.Session:
        import boto3

        return boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
            region_name=self.region,
        )


@contextlib.contextmanager
def moto_server(region: str, *, for_terraform: bool = False) -> Iterator[Emulator]:
    """moto's HTTP server on a free port of 127.0.0.1, for the life of the block.

    ``for_terraform``: extended in this process as ``moto.serve`` extends a moto_server
    process (``extend_moto``: what the real AWS provider needs, ECS's scheduler; AWS
    managed IAM policies), and starting from an empty account.
    """
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    saved = os.environ.get(_MANAGED_POLICIES)
    if for_terraform:
        from generator.demo.moto import extend_moto

        extend_moto()
        os.environ[_MANAGED_POLICIES] = "true"  # read when moto creates the IAM backend
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        if for_terraform:  # a backend made earlier in this process would lack the policies
            reset_emulator(endpoint)
        yield Emulator(endpoint, region)
    finally:
        server.stop()
        if for_terraform:
            _restore(_MANAGED_POLICIES, saved)


_MANAGED_POLICIES = "MOTO_IAM_LOAD_MANAGED_POLICIES"


def reset_emulator(endpoint: str) -> None:
    """Empty the emulator: every service's state, as a new account (slow on a loaded
    machine, hence the generous deadline)."""
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30
    ).read()


def _restore(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


@contextlib.contextmanager
def moto_server_process(
    executable: str | None = None, extra_env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """moto's server as a separate process on 127.0.0.1; yields its URL.

    A real process, unlike ``moto_server``: end-to-end tests and benchmarks must not
    share an interpreter (and its GIL) with the emulator they measure. By default it is
    moto with zdd's additions (``python -m generator.demo.moto``: what the provider
    needs, round trips, ECS's scheduler); ``executable`` runs that binary instead
    (plain ``moto_server``: services never start tasks). ``port``: a free one by default.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    port = port or free_port()
    command = [executable] if executable else [sys.executable, "-m", "generator.demo.moto"]
    proc = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a cold start on a loaded machine is slow
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the emulator ({' '.join(command)}) did not answer on {url}"
                        + (f": it exited {proc.returncode}" if proc.returncode is not None else "")
                    ) from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # a server busy with a request may ignore SIGTERM
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def pointed_at(emulator: Emulator) -> Iterator[None]:
    """Temporarily point this process's boto3 at the emulator."""
    saved = {k: os.environ.get(k) for k in emulator.environ()}
    os.environ.update(emulator.environ())
    try:
        yield
    finally:
        for key, value in saved.items():
            _restore(key, value)


def _alarm_kwargs(env: Environment, name: str, dims: list[dict[str, str]]) -> dict[str, Any]:
    """PutMetricAlarm's arguments for one of ``env.alarm_names``, as the module makes it."""
    a = env.alarms
    common: dict[str, Any] = {
        "AlarmName": name,
        "EvaluationPeriods": a.evaluation_periods,
        "DatapointsToAlarm": a.datapoints_to_alarm or a.evaluation_periods,
        "ComparisonOperator": "GreaterThanThreshold",
        "ActionsEnabled": False,
    }
    if name.endswith("-5xx-rate"):
        return {**common, **_error_rate(env, dims)}
    base = {
        **common,
        "Namespace": "AWS/ApplicationELB",
        "Dimensions": dims,
        "Period": a.period_seconds,
    }
    if name.endswith("-p99-latency"):
        return {
            **base,
            "MetricName": "TargetResponseTime",
            "ExtendedStatistic": "p99",
            "Threshold": a.p99_latency_seconds,
            "TreatMissingData": "notBreaching",
        }
    return {
        **base,
        "MetricName": "UnHealthyHostCount",
        "Statistic": "Maximum",
        "Threshold": float(a.unhealthy_hosts),
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "breaching",
    }


def _error_rate(env: Environment, dims: list[dict[str, str]]) -> dict[str, Any]:
    """The 5xx-rate alarm: a metric-math rate of 5xx responses over requests."""

    def metric(metric_id: str, metric_name: str) -> dict[str, Any]:
        return {
            "Id": metric_id,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/ApplicationELB",
                    "MetricName": metric_name,
                    "Dimensions": dims,
                },
                "Period": env.alarms.period_seconds,
                "Stat": "Sum",
            },
        }

    return {
        "Threshold": env.alarms.error_rate_percent,
        "TreatMissingData": "notBreaching",
        "Metrics": [
            {
                "Id": "rate",
                "Expression": "IF(requests > 0, 100 * errors / requests, 0)",
                "ReturnData": True,
            },
            metric("errors", "HTTPCode_Target_5XX_Count"),
            metric("requests", "RequestCount"),
        ],
    }


def create_twin_environments(
    session: boto3.Session, env: Environment, *, targets_per_colour: int | None = None
) -> StackOutputs:
    """Build the stack in the emulator and return its outputs contract.

    Each colour is an ECS service (``targets_per_colour`` tasks, default
    ``capacity.desired``) whose tasks are the targets of its target group.
    """
    from generator.demo.ecs_world import create_ecs_services

    ec2 = session.client("ec2")
    elbv2 = session.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{env.region}{az}"
        )["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    lb = elbv2.create_load_balancer(
        Name=env.lb_name,
        Subnets=subnets,
        Scheme="internal" if env.load_balancer.internal else "internet-facing",
    )["LoadBalancers"][0]
    lb_suffix = lb["LoadBalancerArn"].split(":loadbalancer/")[-1]
    tgs = _target_groups(elbv2, env, vpc)
    listener_arn, test_listener_arn = _listeners(elbv2, env, lb["LoadBalancerArn"], tgs)
    alarm_names = _alarms(session.client("cloudwatch"), env, lb_suffix, tgs)
    ecs_services, versions = create_ecs_services(
        session, env, vpc=vpc, subnets=subnets, target_groups=tgs, tasks=targets_per_colour
    )
    return StackOutputs(
        versions=versions,
        ecs_services=ecs_services,
        listener_arn=listener_arn,
        test_listener_arn=test_listener_arn,
        target_group_arns=tgs,
        alarm_names=alarm_names,
        load_balancer_dns_name=lb["DNSName"],
        load_balancer_arn_suffix=lb_suffix,
        target_group_arn_suffixes={c: arn.split(":")[-1] for c, arn in tgs.items()},
    )


def _target_groups(elbv2: Any, env: Environment, vpc: str) -> dict[Colour, str]:
    hc = env.health_check
    tgs: dict[Colour, str] = {}
    for colour in COLOURS:
        tg = elbv2.create_target_group(
            Name=env.target_group_name(colour),
            Protocol="HTTP",
            Port=env.container.port,
            VpcId=vpc,
            TargetType="ip",
            HealthCheckPath=hc.path,
            HealthCheckIntervalSeconds=hc.interval_seconds,
            HealthCheckTimeoutSeconds=hc.timeout_seconds,
            HealthyThresholdCount=hc.healthy_threshold,
            UnhealthyThresholdCount=hc.unhealthy_threshold,
        )["TargetGroups"][0]
        tgs[colour] = tg["TargetGroupArn"]
    return tgs


def _listeners(
    elbv2: Any, env: Environment, lb_arn: str, tgs: dict[Colour, str]
) -> tuple[str, str]:
    """The production listener (all weight on the live colour) and the test listener
    (the idle colour); their ARNs."""
    live = env.live_colour
    sticky = env.load_balancer.stickiness
    forward = {
        "TargetGroups": [
            {"TargetGroupArn": tgs[c], "Weight": 100 if c == live else 0} for c in COLOURS
        ],
        "TargetGroupStickinessConfig": {
            "Enabled": sticky.enabled,
            "DurationSeconds": sticky.duration_seconds,
        },
    }
    listener = elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=env.load_balancer.port,
        DefaultActions=[{"Type": "forward", "ForwardConfig": forward}],
    )["Listeners"][0]
    test_listener = elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=env.load_balancer.test_listener_port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs[other_colour(live)]}],
    )["Listeners"][0]
    return str(listener["ListenerArn"]), str(test_listener["ListenerArn"])


def _alarms(
    cloudwatch: Any, env: Environment, lb_suffix: str, tgs: dict[Colour, str]
) -> dict[Colour, list[str]]:
    alarm_names: dict[Colour, list[str]] = {}
    for colour in COLOURS:
        dims = [
            {"Name": "LoadBalancer", "Value": lb_suffix},
            {"Name": "TargetGroup", "Value": tgs[colour].split(":")[-1]},
        ]
        alarm_names[colour] = env.alarm_names(colour)
        for name in alarm_names[colour]:
            cloudwatch.put_metric_alarm(**_alarm_kwargs(env, name, dims))
            # A fresh alarm with no data would be INSUFFICIENT_DATA in AWS; the
            # emulator never evaluates metrics, so start it where a healthy one is.
            cloudwatch.set_alarm_state(
                AlarmName=name, StateValue="OK", StateReason="emulator: healthy"
            )
    return alarm_names
