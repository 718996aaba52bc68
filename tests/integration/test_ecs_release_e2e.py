"""Releases on ECS end to end: `zdd deploy` and `zdd rollback` as processes, real
`terraform apply` through the real AWS provider, moto_server (with the emulator's ECS
scheduler: tasks, targets, rollouts, the circuit breaker) as AWS.

The tests share one stack and run in order: three consecutive deploys, a rollback
after the last promotion, then a release whose rollout fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from generator.demo.moto import (
    create_network,
    environment_with_network,
    terraform_environ,
    write_emulator_override,
)
from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source, provider_environ

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent


class Stack:
    """The staging environment on moto_server's network, its idle colour scaled down."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        network = create_network(url)
        self.env_file = environment_with_network(
            ROOT / "environments" / "staging.yaml", network, root / "environments"
        )
        data = yaml.safe_load(self.env_file.read_text())
        data["strategy"].update(bake_seconds=0.3, poll_seconds=0.1, ready_timeout_seconds=120)
        data["capacity"].update(idle="scaled_down", scale_down_after_seconds=1)
        self.env_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self.stack_dir = root / "build" / "staging"
        self.stack_dir.mkdir(parents=True)
        write_emulator_override(self.stack_dir)
        self.environ = {
            **terraform_environ(url),
            **provider_environ(),
            "AWS_MAX_ATTEMPTS": "2",
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }

    def zdd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "zdd"), *args, "--env", str(self.env_file)],
            cwd=self.root,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=900,
        )

    def outputs(self) -> dict[str, Any]:
        data = json.loads((self.stack_dir / "zdd-outputs.json").read_text())
        return {key: value["value"] for key, value in data.items()}

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="eu-west-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def weights(self) -> dict[str, int]:
        out = self.outputs()
        colours = {arn: colour for colour, arn in out["target_group_arns"].items()}
        listener = self.client("elbv2").describe_listeners(ListenerArns=[out["listener_arn"]])
        groups = listener["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        return {colour: 0 for colour in ("blue", "green")} | {
            colours[g["TargetGroupArn"]]: g["Weight"] for g in groups
        }

    def live(self) -> str:
        return next(c for c, w in self.weights().items() if w == 100)

    def service(self, colour: str) -> dict[str, Any]:
        ref = self.outputs()["ecs_services"][colour]
        ecs = self.client("ecs")
        found = ecs.describe_services(cluster=ref["cluster"], services=[ref["service"]])
        svc: dict[str, Any] = found["services"][0]
        definition = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])
        svc["image"] = definition["taskDefinition"]["containerDefinitions"][0]["image"]
        return svc

    def version(self, colour: str) -> str:
        return str(self.service(colour)["image"]).rsplit(":", 1)[-1]

    def journal(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads((self.root / ".zdd" / "shop-staging.json").read_text())
        return doc


@pytest.fixture(scope="module")
def stack(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not shutil.which("terraform"):
        pytest.fail("needs terraform on PATH: make test")
    needs_a_provider_source()
    tmp = tmp_path_factory.mktemp("ecs-e2e")
    (tmp / "work").mkdir()
    yield Stack(tmp / "work", server)


def test_three_consecutive_deploys_each_promoted_keeping_the_previous_version(
    stack: Stack,
) -> None:
    previous = "1.0.0"
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        done = stack.zdd("deploy", "--version", version)
        assert done.returncode == 0, done.stderr[-3000:]
        live = stack.live()
        idle = "green" if live == "blue" else "blue"
        assert stack.version(live) == version
        assert stack.version(idle) == previous  # kept, at 0 tasks, for `zdd rollback`
        assert stack.service(idle)["desiredCount"] == 0  # scaled down after the window
        assert stack.service(live)["desiredCount"] == 1
        previous = version
    ups = [c for c in stack.journal()["capacity"] if c["action"] == "scale_up"]
    downs = [c for c in stack.journal()["capacity"] if c["action"] == "scale_down"]
    assert len(ups) >= 2 and len(downs) == 3  # each release scaled its colour up first
    history = stack.journal()["history"]
    assert [d["status"] for d in history] == ["promoted"] * 3


def test_rollback_after_promotion_scales_the_previous_colour_up_and_moves_back(
    stack: Stack,
) -> None:
    before = stack.live()
    previous = "green" if before == "blue" else "blue"
    assert stack.service(previous)["desiredCount"] == 0
    done = stack.zdd("rollback", "--reason", "e2e")
    assert done.returncode == 0, done.stderr[-3000:]
    assert stack.live() == previous and stack.version(previous) == "1.2.0"
    assert stack.service(previous)["desiredCount"] == 1
    last = stack.journal()["history"][-1]
    assert (last["strategy"], last["status"]) == ("rollback", "rolled_back")


def test_a_deploy_whose_rollout_fails_never_moves_weight(stack: Stack) -> None:
    before = stack.weights()
    done = stack.zdd("deploy", "--version", "1.4.0-crashloop")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "circuit breaker" in done.stderr and "nothing was moved" in done.stderr
    assert stack.weights() == before
    assert stack.journal()["current"] is None
