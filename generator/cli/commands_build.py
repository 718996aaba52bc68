"""validate, generate, plan, apply, check-plan."""

from __future__ import annotations

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
from generator.cli._runtime import (
    committed_lock,
    default_stack_dir,
    echo_to_stderr,
    load_env,
    parse_colour,
    print_json,
)

if TYPE_CHECKING:
    from generator.colours import Colour
    from generator.config import Environment
    from generator.infra.outputs import StackOutputs
    from generator.infra.provision import GuardedPlan, LiveReader
    from generator.infra.running import SpecObserver


def validate(env: EnvOpt) -> None:
    """Check an environment file against every AWS limit; one line per problem."""
    model = load_env(env)
    typer.echo(f"ok: {model.service}/{model.name} is valid")


def generate(
    env: EnvOpt,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory (default: build/ENV).")
    ] = None,
    profile: ProfileOpt = None,
) -> None:
    """Render the environment's Terraform root stack (templates/ + modules/).

    Once the stack is applied, each colour keeps the version it runs.
    """
    from generator.infra.provision import generate_as_deployed

    model = load_env(env)
    out_dir = default_stack_dir(model, out)
    stack, removed = generate_as_deployed(
        model,
        out_dir,
        _observer(model, profile),
        _reader(model, profile),
        committed_lock(env, model),
        warn=echo_to_stderr(),
    )
    vendored = f" and vendored modules {', '.join(stack.modules)}" if stack.modules else ""
    typer.echo(f"rendered {len(stack.files)} files{vendored} into {out_dir}")
    for name in removed:
        typer.echo(f"removed {name} (no longer generated)")


def _observer(model: Environment, profile: str | None) -> SpecObserver:
    """Reads what each colour runs from AWS, creating clients only when asked."""
    from generator.aws import AwsClients
    from generator.infra.running import AwsSpecObserver

    return AwsSpecObserver(lambda: AwsClients.from_environment(profile, model.region))


def _reader(model: Environment, profile: str | None) -> LiveReader:
    """Reads the live colour from the listener, creating AWS clients only when asked."""
    from generator.aws import AwsClients
    from generator.rollout.aws.wiring import listener_reader

    def read(outputs: StackOutputs) -> Colour | None:
        elbv2 = AwsClients.from_environment(profile, model.region).elbv2
        return listener_reader(elbv2)(outputs)

    return read


def _verdict(guarded: GuardedPlan, allow: bool, json_mode: bool, extra: dict[str, object]) -> None:
    from generator.infra.guard import refusal_message

    verdict, summary = guarded.verdict, guarded.summary
    spec_changes = guarded.spec_changes()
    if json_mode:
        print_json(
            {
                **extra,
                "changes": summary.has_changes,
                **verdict.to_dict(),
                "spec_changes": spec_changes,
            }
        )
    else:
        for line in verdict.shared_lines():  # each shared change: its class and why
            typer.echo(line)
        if spec_changes:
            idle = "green" if verdict.live == "blue" else "blue"
            typer.echo(f"spec changes, live {verdict.live} -> idle {idle} (secrets by ARN):")
            for line in spec_changes:
                typer.echo(f"  {line}")
        if verdict.accepted:
            typer.echo(
                f"plan accepted: nothing touches the live colour {verdict.live}"
                + ("" if summary.has_changes else " (no changes)")
            )
    if not verdict.accepted and allow:
        typer.secho(
            "WARNING: --allow-live-changes: applying changes to what serves users:",
            fg="red",
            bold=True,
            err=True,
        )
        typer.echo(refusal_message(verdict), err=True)
    guarded.enforce(allow_live_changes=allow)


def plan(
    env: EnvOpt,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Saved plan file (default: build/ENV/zdd.tfplan).", dir_okay=False
        ),
    ] = None,
    json_mode: JsonOpt = False,
    live: LiveOpt = None,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    allow_live_changes: AllowLiveOpt = False,
    profile: ProfileOpt = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="Image tag to plan onto the idle colour (a release)."),
    ] = None,
) -> None:
    """Generate, init and plan; then the plan guard's verdict (exit 3 when refused)."""
    from generator.infra.provision import plan_json_path, plan_stack, saved_plan_path
    from generator.pipeline.plan_report import report_plan

    model = load_env(env)
    if model.load_balancer.existing:  # before Terraform: one line, exit 2
        from generator.aws import AwsClients
        from generator.config.load import display_path, resolve_env_path
        from generator.infra.existing_lb import check_existing_listeners

        elbv2 = AwsClients.from_environment(profile, model.region).elbv2
        check_existing_listeners(elbv2, model, display_path(resolve_env_path(env)))
    directory = default_stack_dir(model, stack_dir)
    out = out or saved_plan_path(directory)
    guarded = plan_stack(
        model,
        directory,
        out,
        _reader(model, profile),
        live=parse_colour(live, "--live"),
        outputs_file=outputs,
        echo=echo_to_stderr(),
        observe=_observer(model, profile),
        version=version,
        provider_lock=committed_lock(env, model),
    )
    report_plan(model.name, guarded)  # job summary / MR report when run in CI
    _verdict(
        guarded,
        allow_live_changes,
        json_mode,
        {"plan": str(out), "plan_json": str(plan_json_path(guarded.plan_file))},
    )


def apply(
    env: EnvOpt,
    plan_file: Annotated[
        Path | None,
        typer.Argument(
            help="Plan saved by `zdd plan` (default: build/ENV/zdd.tfplan).",
            dir_okay=False,
            metavar="[PLANFILE]",
            show_default=False,
        ),
    ] = None,
    live: LiveOpt = None,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    allow_live_changes: AllowLiveOpt = False,
    json_mode: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Guard the saved plan again, then apply exactly that plan."""
    from generator.infra.provision import (
        apply_guarded,
        guard_saved_plan,
        limits_of,
        saved_plan_path,
    )

    model = load_env(env)
    directory = default_stack_dir(model, stack_dir)
    plan_file = plan_file or saved_plan_path(directory)
    echo = echo_to_stderr()
    guarded = guard_saved_plan(
        model,
        directory,
        plan_file,
        _reader(model, profile),
        live=parse_colour(live, "--live"),
        outputs_file=outputs,
        echo=echo,
    )
    _verdict(guarded, allow_live_changes, json_mode, {"plan": str(plan_file)})
    apply_guarded(guarded, directory, echo=echo, limits=limits_of(model))
    if not json_mode:
        typer.echo("applied")


def check_plan(
    env: EnvOpt,
    plan_json: Annotated[
        Path | None,
        typer.Argument(
            help="Output of `terraform show -json PLAN` (default: build/ENV/zdd.tfplan.json, "
            "which `zdd plan` writes).",
            metavar="[PLAN_JSON]",
            show_default=False,
        ),
    ] = None,
    live: LiveOpt = None,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    json_mode: JsonOpt = False,
    allow_live_changes: AllowLiveOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """The plan guard alone, on a JSON plan produced anywhere (exit 3 when refused)."""
    from generator.infra.provision import judge_plan_file, plan_json_path, saved_plan_path

    model = load_env(env)
    directory = default_stack_dir(model, stack_dir)
    plan_json = plan_json or plan_json_path(saved_plan_path(directory))
    guarded = judge_plan_file(
        model,
        directory,
        plan_json,
        _reader(model, profile),
        live=parse_colour(live, "--live"),
        outputs_file=outputs,
    )
    _verdict(guarded, allow_live_changes, json_mode, {"plan": str(plan_json)})


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(generate)
    app.command()(plan)
    app.command()(apply)
    app.command("check-plan")(check_plan)
