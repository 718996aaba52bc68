"""The demo's stack: applied by the real terraform and AWS provider against the embedded moto.

``apply_for_real`` gives moto the network an environment file names (``moto_world``),
renders the stack from a copy of the file that uses it, and runs ``terraform init``,
``plan`` and ``apply`` with the provider pointed at the emulator; the outputs are read
with ``terraform output``. The provider comes the way the user's Terraform gets it (its
registry, a plugin cache, a mirror in the CLI configuration); when Terraform or the
provider cannot run (no binary, a failed ``init``) it says why, and the demo falls back
to ``emulator.create_twin_environments``, which stands in for the apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config import Environment, load_environment, resolve_env_path
from generator.config.load import is_env_path
from generator.demo.emulator import Emulator
from generator.errors import InputError, TerraformError
from generator.infra.outputs import StackOutputs
from generator.infra.render import generate

Say = Callable[[str], None]


@dataclass
class Stack:
    env: Environment  # as rendered: with the emulator's VPC, subnets and certificate
    outputs: StackOutputs
    applied: bool  # True: by terraform apply; False: by the stand-in


class Unavailable(Exception):
    """Terraform or its AWS provider cannot run here; the message says why."""


def demo_environment(env_name: str, work: Path) -> tuple[Path, bool]:
    """The environment file the demo runs: ``--env`` as zdd resolves it, or else, for a
    name the repository does not have (an empty directory), zdd's packaged example of
    that name, copied into ``work``. True when it is the packaged example."""
    from generator.infra.assets import assets

    path = resolve_env_path(env_name)
    packaged = assets() / "environments" / f"{env_name}.yaml"
    if path.is_file() or is_env_path(env_name) or not packaged.is_file():
        return path, False  # load_environment says what is missing, as everywhere
    copy = work / "example" / f"{env_name}.yaml"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(packaged.read_text(encoding="utf-8"), encoding="utf-8")
    return copy, True


def render_on_network(
    emulator: Emulator, env_name: str, adjust: Callable[[Environment], Environment], work: Path
) -> Environment:
    """The environment on a VPC, subnets and certificate created in the emulator."""
    from generator.demo.moto import create_network, environment_with_network

    network = create_network(emulator.endpoint, emulator.region)
    env_file = environment_with_network(resolve_env_path(env_name), network, work / "environments")
    env = adjust(load_environment(env_file))
    generate(env, work / env.name)
    return env


def check_fmt(stack_dir: Path, say: Say) -> None:
    from python_terraform import IsFlagged

    from generator.infra.terraform import Terraform, check_version

    tf = Terraform(stack_dir)
    # -recursive: the modules are vendored into the stack, so this checks them too.
    tf.run(tf.argv("fmt", check=IsFlagged, recursive=IsFlagged, input=None))
    version = ".".join(map(str, check_version(tf.binary)))
    say(f"   terraform {version} fmt -check: the stack and its modules are clean")


def apply_for_real(emulator: Emulator, stack_dir: Path, say: Say) -> StackOutputs:
    """init, plan, apply and output with the real provider; ``Unavailable`` before apply."""
    from generator.demo.moto import terraform_environ, write_emulator_override
    from generator.infra.terraform import Terraform

    try:
        check_fmt(stack_dir, say)  # also finds the binary: InputError without one
        write_emulator_override(stack_dir)
        tf = Terraform(stack_dir, env=terraform_environ(emulator.endpoint, emulator.region))
    except InputError as exc:
        raise Unavailable(str(exc)) from None
    try:  # the provider comes as the user's Terraform gets it: registry, cache or mirror
        tf.init()
    except TerraformError as exc:
        raise Unavailable(str(exc)) from None
    began = time.monotonic()
    tf.plan(Path("stack.tfplan"))
    say(f"   terraform plan: {time.monotonic() - began:.1f}s; applying (the provider waits")
    say("   2 x 30 s for the load balancer to be reported active) ...")
    began = time.monotonic()
    run = tf.apply(Path("stack.tfplan"))
    done = [line for line in run.stdout.splitlines() if line.startswith("Apply complete")]
    say(f"   terraform apply: {(done or ['done'])[-1]} ({time.monotonic() - began:.1f}s)")
    outputs = tf.output()
    say("   stack outputs read with `terraform output`")
    return outputs


def alarms_evaluated_ok(session: Any, outputs: StackOutputs, say: Say) -> None:
    """moto never evaluates metrics: its new alarms stay INSUFFICIENT_DATA; set them OK."""
    cloudwatch = session.client("cloudwatch")
    names = [name for colour_names in outputs.alarm_names.values() for name in colour_names]
    for name in names:
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue="OK", StateReason="demo: stands in for CloudWatch"
        )
    say(
        f"   {len(names)} alarms set OK: this stands in for CloudWatch's evaluation (moto never"
        " evaluates metrics, so real alarms would stay INSUFFICIENT_DATA)"
    )


def twin_stack(
    emulator: Emulator,
    env_name: str,
    adjust: Callable[[Environment], Environment],
    work: Path,
    say: Say,
) -> Stack:
    """The stack in the emulator: applied by terraform, or else by the labelled stand-in."""
    from generator.demo.emulator import create_twin_environments

    env = render_on_network(emulator, env_name, adjust, work)
    stack_dir = work / env.name
    for stale in ("terraform.tfstate", "terraform.tfstate.backup", "stack.tfplan"):
        (stack_dir / stale).unlink(missing_ok=True)  # of an emulator that is gone
    say(f"1. rendered Terraform for {env.service}/{env.name} into {stack_dir}")
    session = emulator.session()
    try:
        say(
            f"2. terraform apply of the stack against an embedded AWS emulator, {emulator.endpoint}"
        )
        outputs = apply_for_real(emulator, stack_dir, say)
        applied = True
    except Unavailable as exc:
        say(
            f"   FALLBACK: terraform cannot run here: {exc}.\n"
            "   STAND-IN: creating the twin environments directly in the emulator instead\n"
            "   (emulator.create_twin_environments: the same load balancer, target groups,\n"
            "   weighted listener and alarms from the same model, the same stack outputs)."
        )
        outputs = create_twin_environments(session, env)
        applied = False
    if applied:
        alarms_evaluated_ok(session, outputs, say)
    (stack_dir / "zdd-outputs.json").write_text(outputs.to_terraform_json(), encoding="utf-8")
    return Stack(env, outputs, applied)
