"""validate, generate, plan, apply, check-plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli._options import (
    AllowLiveOpt,
    EnvOpt,
    JsonOpt,
    LiveOpt,
    OutputsOpt,
    ProfileOpt,
    StackDirOpt,
)
from generator.cli._runtime import default_stack_dir, load_env, parse_colour, print_json
from generator.errors import PlanRefused

if TYPE_CHECKING:
    from generator.config import Colour, Environment
    from generator.guard import Verdict
    from generator.plan import PlanSummary
    from generator.terraform import Terraform


def validate(env: EnvOpt) -> None:
    """Check an environment file against every AWS limit; one line per problem."""
    model = load_env(env)
    typer.echo(f"ok: {model.service}/{model.name} is valid")


def generate(
    env: EnvOpt,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory (default: build/ENV).")
    ] = None,
) -> None:
    """Render the environment's Terraform root stack (templates/ + modules/)."""
    from generator.render import render_stack, write_stack

    model = load_env(env)
    out_dir = default_stack_dir(model, out)
    stack = render_stack(model, out_dir)
    removed = write_stack(stack, out_dir)
    typer.echo(f"rendered {len(stack.files)} files into {out_dir}")
    for name in removed:
        typer.echo(f"removed {name} (no longer generated)")


def _terraform(stack_dir: Path, json_mode: bool) -> Terraform:
    from generator.terraform import Terraform

    echo = None if json_mode else (lambda line: print(line, file=sys.stderr))
    return Terraform(stack_dir, echo=echo, lock_timeout="60s")


def _live_colour(
    model: Environment,
    stack_dir: Path,
    live: str | None,
    outputs: Path | None,
    profile: str | None,
    *,
    first_apply: bool = False,
) -> Colour:
    """--live, else the colour with all the weight on the listener.

    With ``first_apply`` a stack that has no outputs yet (nothing applied) has no
    live colour in AWS; the environment's ``live_colour`` is the one to protect.
    """
    chosen = parse_colour(live, "--live")
    if chosen is not None:
        return chosen
    from generator.aws import AwsClients
    from generator.errors import InputError
    from generator.outputs import load_outputs
    from generator.terraform import Terraform
    from generator.traffic import TrafficShifter

    if outputs is not None:
        stack_outputs = load_outputs(outputs)
    else:
        try:
            stack_outputs = Terraform(stack_dir).output()
        except Exception:
            if first_apply:
                return model.live_colour
            raise InputError(
                "cannot tell the live colour: no stack outputs yet; pass --live or --outputs"
            ) from None
    state = TrafficShifter(
        AwsClients.from_environment(profile, model.region).elbv2, stack_outputs
    ).read()
    if state.live is None:
        raise InputError("the listener is split between colours: pass --live")
    return state.live


def _verdict(
    summary: PlanSummary, live: Colour, allow: bool, json_mode: bool, extra: dict[str, object]
) -> Verdict:
    from generator.guard import judge, refusal_message

    verdict = judge(summary, live)
    if json_mode:
        print_json({**extra, "changes": summary.has_changes, **verdict.to_dict()})
    elif verdict.accepted:
        typer.echo(
            f"plan accepted: nothing touches the live colour {live}"
            + ("" if summary.has_changes else " (no changes)")
        )
    if not verdict.accepted:
        if allow:
            typer.secho(
                "WARNING: --allow-live-changes: applying changes to what serves users:",
                fg="red",
                bold=True,
                err=True,
            )
            typer.echo(refusal_message(verdict), err=True)
        else:
            raise PlanRefused(refusal_message(verdict))
    return verdict


def plan(
    env: EnvOpt,
    out: Annotated[Path, typer.Option("--out", help="Saved plan file.")] = Path("zdd.tfplan"),
    json_mode: JsonOpt = False,
    live: LiveOpt = None,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    allow_live_changes: AllowLiveOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Generate, init and plan; then the plan guard's verdict (exit 3 when refused)."""
    from generator.render import generate as render

    model = load_env(env)
    directory = default_stack_dir(model, stack_dir)
    render(model, directory)
    tf = _terraform(directory, json_mode)
    tf.init(backend=True)
    plan_path = out if out.is_absolute() else Path.cwd() / out
    tf.plan(plan_path)
    summary = tf.show_plan(plan_path)
    colour = _live_colour(model, directory, live, outputs, profile, first_apply=True)
    _verdict(summary, colour, allow_live_changes, json_mode, {"plan": str(out)})


def apply(
    env: EnvOpt,
    plan_file: Annotated[
        Path, typer.Argument(help="Plan saved by `zdd plan`.", dir_okay=False, metavar="PLANFILE")
    ],
    live: LiveOpt = None,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    allow_live_changes: AllowLiveOpt = False,
    json_mode: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Guard the saved plan again, then apply exactly that plan."""
    model = load_env(env)
    directory = default_stack_dir(model, stack_dir)
    tf = _terraform(directory, json_mode)
    plan_path = plan_file if plan_file.is_absolute() else Path.cwd() / plan_file
    summary = tf.show_plan(plan_path)
    colour = _live_colour(model, directory, live, outputs, profile, first_apply=True)
    _verdict(summary, colour, allow_live_changes, json_mode, {"plan": str(plan_file)})
    tf.apply(plan_path)
    if not json_mode:
        typer.echo("applied")


def check_plan(
    plan_json: Annotated[
        Path, typer.Argument(help="Output of `terraform show -json PLAN`.", metavar="PLAN_JSON")
    ],
    env: EnvOpt,
    live: LiveOpt = None,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    json_mode: JsonOpt = False,
    allow_live_changes: AllowLiveOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """The plan guard alone, on a JSON plan produced anywhere (exit 3 when refused)."""
    from generator.plan import load_plan

    summary = load_plan(plan_json)
    model = load_env(env)
    colour = _live_colour(model, default_stack_dir(model, stack_dir), live, outputs, profile)
    _verdict(summary, colour, allow_live_changes, json_mode, {"plan": str(plan_json)})


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(generate)
    app.command()(plan)
    app.command()(apply)
    app.command("check-plan")(check_plan)
