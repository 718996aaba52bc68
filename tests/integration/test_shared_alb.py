"""Two services on one pre-created load balancer, end to end: `zdd plan`, `zdd apply`,
`zdd shift`, `zdd status`, `zdd rollback` as processes, the real AWS provider, moto_server.

The load balancer and its listeners are created once with boto3 (no provider wait for an
ALB to become active); each service's stack holds only its rule(s), target groups, alarms
and services. `orders` has a host rule on two listeners and a header route; `billing` a
path rule on one. The tests share the two applied stacks and run in order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.demo.moto import (
    REGION,
    Network,
    _client,
    create_network,
    terraform_environ,
    write_emulator_override,
)
from tests.support.providers import needs_a_provider_source, provider_environ

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
BIN = Path(sys.executable).parent
FIXED_404 = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
# Each hook waits (at most 60 s) for the other service's release to be moving: both
# releases then hold their leases at the same time, whatever the machine's speed.
RENDEZVOUS = (
    "touch {mine}; i=0; while [ ! -e {theirs} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); "
    "done; test -e {theirs}"
)
# Run by orders' post_test_traffic hook: what the header route and the rule forward to then.
READ_ROUTES = """
import json, os, sys, boto3
out = json.load(open(sys.argv[1]))
elbv2 = boto3.client("elbv2")
rules = {r["kind"] + ":" + r["listener_arn"]: r["rule_arn"] for r in out["routes"]["value"]}
seen = {k: elbv2.describe_rules(RuleArns=[arn])["Rules"][0]["Actions"] for k, arn in rules.items()}
seen["header"] = [os.environ.get("ZDD_TEST_HEADER_NAME"), os.environ.get("ZDD_TEST_HEADER_VALUE")]
json.dump(seen, open(sys.argv[2], "w"))
"""


@dataclass
class Service:
    name: str
    root: Path
    env_file: Path
    environ: dict[str, str]

    def zdd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "zdd"), *args, "--env", str(self.env_file)],
            cwd=self.root,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(BIN / "zdd"), *args, "--env", str(self.env_file)],
            cwd=self.root,
            env=self.environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def outputs(self) -> dict[str, Any]:
        if not self.outputs_file.exists():
            shown = subprocess.run(
                ["terraform", "output", "-json"],
                cwd=self.root / "build" / "staging",
                env=self.environ,
                capture_output=True,
                text=True,
                check=True,
            )
            self.outputs_file.write_text(shown.stdout)
        return {k: v["value"] for k, v in json.loads(self.outputs_file.read_text()).items()}

    @property
    def outputs_file(self) -> Path:
        return self.root / "outputs.json"

    def journal(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(
            (self.root / ".zdd" / f"{self.name}-staging.json").read_text()
        )
        return doc

    def edit(self, **changes: Any) -> None:
        data = yaml.safe_load(self.env_file.read_text())
        data.update(changes)
        self.env_file.write_text(yaml.safe_dump(data, sort_keys=False))


@dataclass
class World:
    url: str
    lb: str
    listeners: list[str]
    before: dict[str, Any]
    orders: Service
    billing: Service

    def elbv2(self) -> Any:
        return _client(self.url, "elbv2", REGION)

    def weights(self, rule_arn: str) -> dict[str, int]:
        return _weights(self.elbv2(), rule_arn)


def _weights(elbv2: Any, rule_arn: str) -> dict[str, int]:
    action = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"][0]["Actions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
    ]
    return {g["TargetGroupArn"].split("/")[-2].rsplit("-", 1)[-1]: g["Weight"] for g in groups}


def _snapshot(elbv2: Any, lb: str) -> dict[str, Any]:
    """What the pre-created load balancer is: itself, its attributes, listeners and defaults."""
    found = elbv2.describe_load_balancers(LoadBalancerArns=[lb])["LoadBalancers"][0]
    return {
        "lb": {k: found[k] for k in ("LoadBalancerArn", "DNSName", "SecurityGroups")},
        "attributes": elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb)["Attributes"],
        "listeners": [
            (item["ListenerArn"], item["Port"], item["DefaultActions"])
            for item in elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]
        ],
    }


def _shared_alb(url: str, network: Network) -> tuple[str, list[str], str]:
    ec2, elbv2 = _client(url, "ec2", REGION), _client(url, "elbv2", REGION)
    sg = ec2.create_security_group(
        GroupName="shared-alb", Description="shared ALB", VpcId=network.vpc_id
    )["GroupId"]
    lb = elbv2.create_load_balancer(
        Name="shared", Subnets=list(network.subnet_ids[:2]), SecurityGroups=[sg]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    listeners = [
        elbv2.create_listener(
            LoadBalancerArn=lb, Protocol="HTTP", Port=port, DefaultActions=FIXED_404
        )["Listeners"][0]["ListenerArn"]
        for port in (80, 8081)
    ]
    return lb, listeners, sg


def _service(
    name: str, root: Path, network: Network, url: str, load_balancer: dict[str, Any]
) -> Service:
    root.mkdir(parents=True)
    data = {
        "name": "staging",
        "service": name,
        "region": REGION,
        "live_colour": "blue",
        "versions": {"blue": "1.0.0", "green": "1.0.0"},
        "network": {"vpc_id": network.vpc_id, "subnet_ids": list(network.subnet_ids[:2])},
        "container": {"image": "nginx"},
        "capacity": {"desired": 1, "min": 1, "max": 2},
        "load_balancer": load_balancer,
        "strategy": {
            "type": "canary",
            "canary_percent": 10,
            "bake_seconds": 0.3,
            "poll_seconds": 0.1,
            "ready_timeout_seconds": 120,
        },
    }
    env_file = root / "environments" / "staging.yaml"
    env_file.parent.mkdir()
    env_file.write_text(yaml.safe_dump(data, sort_keys=False))
    environ = {
        **terraform_environ(url),
        **provider_environ(),
        "AWS_MAX_ATTEMPTS": "2",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    return Service(name, root, env_file, environ)


def _plan_and_apply(service: Service) -> str | None:
    (service.root / "build" / "staging").mkdir(parents=True, exist_ok=True)
    write_emulator_override(service.root / "build" / "staging")
    for command in (("plan",), ("apply",)):
        done = service.zdd(*command)
        if done.returncode != 0:
            return f"{service.name}: zdd {command[0]}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    return None


@pytest.fixture(scope="module")
def world(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    needs_a_provider_source()
    tmp = tmp_path_factory.mktemp("shared-alb")
    network = create_network(server)
    lb, listeners, sg = _shared_alb(server, network)
    before = _snapshot(_client(server, "elbv2", REGION), lb)
    orders = _service(
        "orders",
        tmp / "orders",
        network,
        server,
        {
            "arn": lb,
            "listener_arn": listeners[0],
            "extra_listener_arns": [listeners[1]],
            "security_group_id": sg,
            "rule": {"priority": 10, "hosts": ["orders.example.com"]},
            "header_route": {"priority": 5, "header": "X-Zdd-Colour", "value": "idle"},
        },
    )
    billing = _service(
        "billing",
        tmp / "billing",
        network,
        server,
        {
            "arn": lb,
            "listener_arn": listeners[0],
            "rule": {"priority": 20, "paths": ["/billing/*"]},
        },
    )
    with ThreadPoolExecutor(2) as pool:
        failures = [f for f in pool.map(_plan_and_apply, (orders, billing)) if f]
    assert not failures, failures[0]
    yield World(server, lb, listeners, before, orders, billing)


def _rules(world: World, service: Service, kind: str = "rule") -> list[str]:
    return [r["rule_arn"] for r in service.outputs()["routes"] if r["kind"] == kind]


def test_each_stack_holds_only_its_rules_on_the_shared_listener(world: World) -> None:
    orders, billing = world.orders.outputs(), world.billing.outputs()
    assert [r["kind"] for r in orders["routes"]] == ["rule", "rule", "header", "header"]
    assert [r["listener_arn"] for r in billing["routes"]] == [world.listeners[0]]
    assert orders["listener_arn"] == billing["listener_arn"] == world.listeners[0]
    assert orders.get("test_listener_arn") is None
    for rule in _rules(world, world.orders) + _rules(world, world.billing):
        assert world.weights(rule) == {"blue": 100, "green": 0}
    assert _snapshot(world.elbv2(), world.lb) == world.before  # nothing of it changed


def test_plan_refuses_a_listener_that_does_not_exist(world: World, tmp_path: Path) -> None:
    data = yaml.safe_load(world.billing.env_file.read_text())
    data["load_balancer"]["listener_arn"] = world.listeners[0][:-4] + "beef"
    bad = tmp_path / "environments" / "staging.yaml"
    bad.parent.mkdir()
    bad.write_text(yaml.safe_dump(data))
    done = subprocess.run(
        [str(BIN / "zdd"), "plan", "--env", str(bad)],
        cwd=tmp_path,
        env=world.billing.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "load_balancer.listener_arn: no listener" in lines[0], lines
    assert not (tmp_path / "build").exists()  # nothing rendered or planned


def _meeting_hooks(world: World, tmp_path: Path) -> Path:
    """orders records what its routes forward to before any weight moves; both services
    meet in post_step; billing then fails its check. Returns where orders' record goes."""
    seen, read_routes = tmp_path / "routes-seen.json", tmp_path / "read_routes.py"
    read_routes.write_text(READ_ROUTES)
    world.orders.outputs()
    flags = {name: tmp_path / f"{name}-moving" for name in ("orders", "billing")}
    meet = {
        name: RENDEZVOUS.format(mine=flags[name], theirs=flags[other])
        for name, other in (("orders", "billing"), ("billing", "orders"))
    }
    record = [sys.executable, str(read_routes), str(world.orders.outputs_file), str(seen)]
    world.orders.edit(
        hooks={
            "post_test_traffic": [{"command": record}],
            "post_step": [{"command": ["sh", "-c", meet["orders"]]}],
        }
    )
    world.billing.edit(
        hooks={"post_step": [{"command": ["sh", "-c", meet["billing"] + " && exit 1"]}]}
    )
    return seen


def test_two_releases_at_once_one_promoted_one_rolled_back(world: World, tmp_path: Path) -> None:
    orders, billing = world.orders, world.billing
    seen = _meeting_hooks(world, tmp_path)
    running = [orders.start("shift"), billing.start("shift")]
    results = [(p.wait(timeout=300), *p.communicate()) for p in running]
    assert results[0][0] == 0, results[0][2][-3000:]
    assert results[1][0] == 1, results[1][2][-3000:]

    # Before any weight moved, the header route forwarded to the idle colour, and the
    # hook had the header; the rules still sent everything to blue.
    before = json.loads(seen.read_text())
    assert before["header"] == ["X-Zdd-Colour", "idle"]
    header_actions = [v for k, v in before.items() if k.startswith("header:")]
    assert len(header_actions) == 2
    assert all("-green/" in a[0]["TargetGroupArn"] for a in header_actions)
    for key, actions in before.items():
        if key.startswith("rule:"):
            groups = actions[0]["ForwardConfig"]["TargetGroups"]
            weights = {g["TargetGroupArn"].split("/")[-2]: g["Weight"] for g in groups}
            assert weights == {"orders-staging-blue": 100, "orders-staging-green": 0}

    # orders: every rule on green, read back; the header route now on the new idle colour.
    for rule in _rules(world, orders):
        assert world.weights(rule) == {"blue": 0, "green": 100}
    for rule in _rules(world, orders, "header"):
        assert world.weights(rule) == {"blue": 1}
    # billing: rolled back, its rule untouched by orders' release and back on blue.
    assert [world.weights(r) for r in _rules(world, billing)] == [{"blue": 100, "green": 0}]
    _each_sees_only_its_own(world)


def _each_sees_only_its_own(world: World) -> None:
    o, b = world.orders.journal()["history"], world.billing.journal()["history"]
    assert [d["status"] for d in o] == ["promoted"]
    assert [d["status"] for d in b] == ["rolled_back"]
    # The two leases overlapped: each release started before the other finished.
    assert o[0]["started_at"] < b[0]["finished_at"] and b[0]["started_at"] < o[0]["finished_at"]
    assert _snapshot(world.elbv2(), world.lb) == world.before
    for service, mine, theirs in ((world.orders, o, b), (world.billing, b, o)):
        history = service.zdd("status", "--history")
        assert history.returncode == 0, history.stderr
        assert mine[0]["id"] in history.stdout and theirs[0]["id"] not in history.stdout
        assert f"route rule {_rules(world, service)[0]}: " in history.stdout


def test_a_foreign_rule_to_the_new_colour_during_a_bake_is_drift(world: World) -> None:
    # Meanwhile (to save wall time) orders' stack, whose rules zdd moved, plans clean:
    # Terraform owns the rules' conditions and ignores their weights.
    replan = world.orders.start("plan")
    billing = world.billing
    tgs = billing.outputs()["target_group_arns"]
    script = (
        "import boto3; boto3.client('elbv2').create_rule(ListenerArn='{l}', Priority=1, "
        "Conditions=[{{'Field': 'path-pattern', 'PathPatternConfig': {{'Values': ['/*']}}}}], "
        "Actions=[{{'Type': 'forward', 'TargetGroupArn': '{tg}'}}])"
    ).format(l=world.listeners[0], tg=tgs["green"])
    billing.edit(hooks={"post_step": [{"command": [sys.executable, "-c", script]}]})
    done = billing.zdd("shift")
    assert done.returncode == 4, done.stderr[-3000:]
    assert "is not zdd's and forwards to green" in done.stderr
    status = billing.zdd("status")
    assert status.returncode == 4
    assert "(priority 1) is not zdd's and forwards to green" in status.stderr
    # Once the foreign rule is gone, `zdd resume` ends the release.
    elbv2 = world.elbv2()
    for rule in elbv2.describe_rules(ListenerArn=world.listeners[0])["Rules"]:
        if rule["Priority"] == "1":
            elbv2.delete_rule(RuleArn=rule["RuleArn"])
    billing.edit(hooks={})
    resumed = billing.zdd("resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert billing.journal().get("current") is None
    assert billing.journal()["history"][-1]["status"] == "promoted"
    assert [world.weights(r) for r in _rules(world, billing)] == [{"blue": 0, "green": 100}]
    out, err = replan.communicate(timeout=300)
    assert replan.returncode == 0 and "(no changes)" in out, out + err


def test_rollback_after_promotion_moves_every_route_back(world: World) -> None:
    orders = world.orders
    orders.edit(hooks={})
    done = orders.zdd("rollback", "--reason", "e2e")
    assert done.returncode == 0, done.stderr[-3000:]
    for rule in _rules(world, orders):
        assert world.weights(rule) == {"blue": 100, "green": 0}
    for rule in _rules(world, orders, "header"):
        assert world.weights(rule) == {"green": 1}  # the idle colour again
    # billing's rule is where billing's own release left it.
    assert [world.weights(r) for r in _rules(world, world.billing)] == [{"blue": 0, "green": 100}]
    assert _snapshot(world.elbv2(), world.lb) == world.before
