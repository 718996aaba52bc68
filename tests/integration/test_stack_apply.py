"""The example environments rendered by zdd, then init, validate, plan and apply with
the real AWS provider against moto_server, and `terraform output -json` read back.

moto_server runs with moto_world's additions (Application Auto Scaling tagging, which
the provider reads after every scalable target: without it the apply retries HTTP 500
for ~12 minutes), and each stack gets emulator_override.tf (one retry, not 25). The
two stacks apply at the same time; most of their time is the provider's fixed 2 x 30 s
wait for the load balancer to be reported active.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

from generator.demo.moto import (
    REGION,
    create_network,
    environment_with_network,
    terraform_environ,
    write_emulator_override,
)
from generator.infra.outputs import StackOutputs, parse_outputs
from tests.conftest import ROOT
from tests.support.providers import needs_a_provider_source

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ENVIRONMENTS = ("staging", "production")
ZDD = str(Path(sys.executable).parent / "zdd")


@dataclass
class Stack:
    name: str
    directory: Path
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: StackOutputs | None = None
    replan_exit: int | None = None
    failure: str | None = None


@dataclass
class World:
    url: str
    stacks: dict[str, Stack]


def _terraform(binary: str, stack: Stack, env: dict[str, str], step: str, *args: str) -> str:
    began = time.monotonic()
    run = subprocess.run(
        [binary, *args, "-no-color"],
        cwd=stack.directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    stack.seconds[step] = time.monotonic() - began
    if run.returncode not in (0, 2) or (run.returncode == 2 and step != "replan"):
        raise RuntimeError(f"terraform {step} of {stack.name}:\n{run.stdout[-3000:]}{run.stderr}")
    if step == "replan":
        stack.replan_exit = run.returncode
    return run.stdout


def _apply(binary: str, stack: Stack, env: dict[str, str]) -> Stack:
    try:
        _terraform(binary, stack, env, "init", "init", "-input=false")
        _terraform(binary, stack, env, "validate", "validate")
        _terraform(binary, stack, env, "plan", "plan", "-input=false", "-out=stack.tfplan")
        _terraform(binary, stack, env, "apply", "apply", "-input=false", "stack.tfplan")
        text = _terraform(binary, stack, env, "output", "output", "-json")
        stack.outputs = parse_outputs(text, f"{stack.name}: terraform output -json")
        _terraform(binary, stack, env, "replan", "plan", "-input=false", "-detailed-exitcode")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        stack.failure = str(exc)
    return stack


@pytest.fixture(scope="module")
def world(
    terraform_bin: str, server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    needs_a_provider_source()
    tmp = tmp_path_factory.mktemp("stacks")
    url = server
    network = create_network(url)
    env = terraform_environ(url)
    stacks: dict[str, Stack] = {}
    for name in ENVIRONMENTS:
        env_file = environment_with_network(
            ROOT / "environments" / f"{name}.yaml", network, tmp / "environments"
        )
        stacks[name] = Stack(name, tmp / name)
        generated = subprocess.run(
            [ZDD, "generate", "--env", str(env_file), "--out", str(stacks[name].directory)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert generated.returncode == 0, generated.stderr
        write_emulator_override(stacks[name].directory)
    with ThreadPoolExecutor(len(stacks)) as pool:
        list(pool.map(lambda s: _apply(terraform_bin, s, env), stacks.values()))
    for stack in stacks.values():
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in stack.seconds.items())
        print(f"\n{stack.name}: {steps}")
    yield World(url, stacks)


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_example_applies_against_the_emulator(world: World, name: str) -> None:
    stack: Stack = world.stacks[name]
    # The stack's emulator override sets the provider's max_retries to 3, so an
    # operation moto lacks fails here within seconds, by name, instead of retrying for
    # minutes. How long the apply took is printed, never asserted (benchmarks/).
    assert stack.failure is None, stack.failure


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_outputs_are_the_stack_contract(world: World, name: str) -> None:
    stack: Stack = world.stacks[name]
    assert stack.failure is None, stack.failure
    outputs = stack.outputs
    assert outputs is not None
    assert set(outputs.target_group_arns) == {"blue", "green"}
    assert {c: len(n) for c, n in outputs.alarm_names.items()} == {"blue": 3, "green": 3}
    assert outputs.load_balancer_dns_name
    elbv2 = boto3.client(
        "elbv2",
        endpoint_url=world.url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    listener = elbv2.describe_listeners(ListenerArns=[outputs.listener_arn])["Listeners"][0]
    weights = {
        g["TargetGroupArn"]: g["Weight"]
        for g in listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    }
    assert weights == {
        outputs.target_group_arns["blue"]: 100,
        outputs.target_group_arns["green"]: 0,
    }
    test = elbv2.describe_listeners(ListenerArns=[outputs.test_listener_arn])["Listeners"][0]
    assert test["DefaultActions"][0]["TargetGroupArn"] == outputs.target_group_arns["green"]
    assert json.loads(outputs.to_terraform_json())["listener_arn"]["value"] == outputs.listener_arn


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_a_plan_right_after_apply_changes_nothing(world: World, name: str) -> None:
    stack: Stack = world.stacks[name]
    assert stack.failure is None, stack.failure
    assert stack.replan_exit == 0, "the emulator does not round-trip the stack"
