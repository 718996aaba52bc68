"""Releases on ECS end to end, as a team starts them: the installed wheel in an empty git
repository (`zdd init`, filled in, `zdd lock`), then `zdd plan`, `zdd apply`, `zdd deploy`
and `zdd rollback` as processes, real `terraform apply` through the real AWS provider,
moto_server (with the emulator's ECS scheduler: tasks, targets, rollouts, the circuit
breaker) as AWS.

The tests share one stack and run in order: plan and apply, three consecutive deploys
(each planned with the committed provider lock file, never rewritten), a rollback after
the last promotion, a release whose rollout fails, then `zdd adopt` after a hand-made
change to the listener.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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
from tests.support.providers import needs_a_provider_source, provider_environ
from tests.support.wheel import run, wheel_environ
from tests.unit.config.test_scaffold import fill

pytestmark = pytest.mark.integration


class Stack:
    """The staging environment as a team starts it: the installed wheel in an empty git
    repository, `zdd init` filled in with the emulator's network, its provider lock file
    committed by `zdd lock`, the idle colour scaled down."""

    def __init__(self, root: Path, url: str, venv_bin: Path) -> None:
        self.root, self.url, self.bin = root, url, venv_bin
        self.environ = {
            **wheel_environ(venv_bin),
            **terraform_environ(url),
            **provider_environ(),
            "AWS_MAX_ATTEMPTS": "2",
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        }
        for key in ("PYTHONPATH", "VIRTUAL_ENV", "ZDD_ENVIRONMENTS"):
            self.environ.pop(key, None)
        run(["git", "init", "-q"], root)
        assert "zdd validate --env staging" in self.zdd_ok("init")
        self.env_file = root / "environments" / "staging.yaml"
        self.env_file.write_text(fill(self.env_file.read_text()))
        environment_with_network(self.env_file, create_network(url), self.env_file.parent)
        data = yaml.safe_load(self.env_file.read_text())
        data.setdefault("strategy", {}).update(
            bake_seconds=0.3, poll_seconds=0.1, ready_timeout_seconds=120
        )
        data.setdefault("capacity", {}).update(
            desired=1, min=1, max=2, idle="scaled_down", scale_down_after_seconds=1
        )
        self.env_file.write_text(yaml.safe_dump(data, sort_keys=False))
        self.zdd_ok("lock")
        self.lock_file = root / "environments" / "staging.terraform.lock.hcl"
        self.locked = self.lock_file.read_bytes()
        self.stack_dir = root / "build" / "staging"
        self.stack_dir.mkdir(parents=True)
        write_emulator_override(self.stack_dir)

    def zdd_ok(self, *args: str) -> str:
        done = self.zdd(*args)
        assert done.returncode == 0, f"zdd {' '.join(args)}: {done.stdout}{done.stderr[-3000:]}"
        return done.stdout + done.stderr

    def zdd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "zdd"), *args, *(("--env", "staging") if args[0] != "init" else ())],
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
def stack(server: str, venv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not shutil.which("terraform"):
        pytest.fail("needs terraform on PATH: make test")
    needs_a_provider_source()
    tmp = tmp_path_factory.mktemp("ecs-e2e")
    (tmp / "work").mkdir()
    yield Stack(tmp / "work", server, venv_bin)


def test_a_new_repository_plans_and_applies_with_its_committed_provider_lock(
    stack: Stack,
) -> None:
    planned = stack.zdd_ok("plan")
    assert "plan accepted" in planned
    assert "applied" in stack.zdd_ok("apply")
    assert "listener_arn" in run(["terraform", "output", "-json"], stack.stack_dir, stack.environ)
    assert stack.lock_file.read_bytes() == stack.locked
    assert (stack.stack_dir / ".terraform.lock.hcl").read_bytes() == stack.locked
    ignored = run(["git", "status", "--porcelain", "--ignored"], stack.root)
    assert "?? environments/" in ignored and "!! build/" in ignored  # the lock is committed


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


def test_after_a_hand_made_split_zdd_adopt_records_the_listener_a_person_fixed(
    stack: Stack,
) -> None:
    live = stack.live()
    idle = "green" if live == "blue" else "blue"
    groups = stack.outputs()["target_group_arns"]

    def by_hand(weights: dict[str, int]) -> None:
        stack.client("elbv2").modify_listener(
            ListenerArn=stack.outputs()["listener_arn"],
            DefaultActions=[
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": groups[c], "Weight": w} for c, w in weights.items()
                        ]
                    },
                }
            ],
        )

    by_hand({live: 50, idle: 50})
    refused = stack.zdd("shift")
    assert refused.returncode == 4, refused.stderr[-3000:]
    assert "zdd adopt --env ENV --live COLOUR --reason TEXT" in refused.stderr
    by_hand({live: 100, idle: 0})  # the person's decision: back where it was
    said = stack.zdd_ok("adopt", "--live", live, "--reason", "split by hand during an incident")
    assert f"all traffic on {live}" in said
    last = stack.journal()["history"][-1]
    assert (last["strategy"], last["status"], last["weights"]) == (
        "adopt",
        "aborted",
        {live: 100, idle: 0},
    )
    assert stack.lock_file.read_bytes() == stack.locked  # every plan used it as it is
