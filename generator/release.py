"""`zdd deploy`: put a version on the idle colour through Terraform, guarded."""

from __future__ import annotations

import re
from pathlib import Path

from generator.config import Environment
from generator.errors import InputError, PlanRefused, TerraformError
from generator.guard import judge, refusal_message
from generator.render import render_stack, write_stack
from generator.terraform import Echo, Terraform
from generator.traffic import other_colour

OUTPUTS_FILE = "zdd-outputs.json"
PLAN_FILE = "zdd-release.tfplan"


def apply_release(
    env: Environment,
    version: str,
    stack_dir: Path,
    *,
    profile: str | None = None,
    echo: Echo | None = None,
    terraform: type[Terraform] = Terraform,
) -> Path:
    """Render ``version`` on the idle colour, plan, guard, apply; return the outputs file."""
    if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", version):
        raise InputError(f"--version: {version!r} is not a valid image tag")
    stack_dir.mkdir(parents=True, exist_ok=True)
    tf = terraform(stack_dir, echo=echo, lock_timeout="60s")
    live = env.live_colour
    try:
        outputs = tf.output()
    except (TerraformError, InputError):
        outputs = None  # nothing applied yet: the configured live colour is protected
    if outputs is not None:
        from generator.aws import AwsClients
        from generator.traffic import TrafficShifter

        state = TrafficShifter(
            AwsClients.from_environment(profile, env.region).elbv2, outputs
        ).read()
        if state.live is None:
            raise InputError("the listener is split between colours: finish or abort that first")
        live = state.live
    idle = other_colour(live)
    released = env.model_copy(update={"versions": {**env.versions, idle: version}})
    write_stack(render_stack(released, stack_dir), stack_dir)
    tf.init(backend=True)
    plan_path = stack_dir.resolve() / PLAN_FILE
    changes = tf.plan(plan_path)
    verdict = judge(tf.show_plan(plan_path), live)
    if not verdict.accepted:
        raise PlanRefused(refusal_message(verdict))
    if changes:
        tf.apply(plan_path)
    out = stack_dir / OUTPUTS_FILE
    out.write_text(tf.output().to_terraform_json(), encoding="utf-8")
    return out
