"""shift, deploy, status, promote, abort, resume."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from generator.cli._options import (
    BakeOpt,
    BreakLockOpt,
    ColourOpt,
    EnvOpt,
    JsonOpt,
    OutputsOpt,
    PollOpt,
    ProfileOpt,
    StackDirOpt,
    StepsOpt,
    StoreOpt,
    StrategyOpt,
    WebhookOpt,
)
from generator.cli._runtime import (
    default_stack_dir,
    finish,
    parse_colour,
    print_json,
    release_context,
    stack_outputs,
    terraform_echo,
)
from generator.errors import InputError

if TYPE_CHECKING:
    from generator.config import Strategy
    from generator.journal.model import Deployment
    from generator.rollout.release import ReleaseContext


def _strategy(
    ctx: ReleaseContext,
    strategy: str | None,
    steps: str | None,
    bake: float | None,
    poll: float | None,
) -> Strategy:
    from generator.rollout.engine.schedule import (
        STRATEGIES,
        Overrides,
        effective_strategy,
        parse_steps,
    )

    if strategy is not None and strategy not in STRATEGIES:
        raise InputError(f"--strategy: expected {', '.join(STRATEGIES)} (got {strategy!r})")
    overrides = Overrides(
        strategy=strategy,
        steps=parse_steps(steps) if steps is not None else None,
        bake_seconds=bake,
        poll_seconds=poll,
    )
    return effective_strategy(ctx.env.strategy, overrides)


def shift(
    env: EnvOpt,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    to: ColourOpt = None,
    strategy: StrategyOpt = None,
    steps: StepsOpt = None,
    bake: BakeOpt = None,
    poll: PollOpt = None,
    json_mode: JsonOpt = False,
    store: StoreOpt = None,
    break_lock: BreakLockOpt = False,
    webhook: WebhookOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Move traffic to the idle colour step by step; roll back when an alarm fires."""
    from generator.rollout import release

    ctx = release_context(
        env, "shift", store=store, profile=profile, json_mode=json_mode, webhooks=webhook
    )
    strat = _strategy(ctx, strategy, steps, bake, poll)
    target = parse_colour(to, "--to")
    found = stack_outputs(ctx.env, outputs, stack_dir)
    finish(
        ctx,
        json_mode,
        "shift",
        lambda: release.shift(ctx, found, strat, to=target, break_lock=break_lock),
    )


def deploy(
    env: EnvOpt,
    version: Annotated[
        str, typer.Option("--version", help="Image tag to release on the idle colour.")
    ],
    stack_dir: StackDirOpt = None,
    strategy: StrategyOpt = None,
    steps: StepsOpt = None,
    bake: BakeOpt = None,
    poll: PollOpt = None,
    json_mode: JsonOpt = False,
    store: StoreOpt = None,
    break_lock: BreakLockOpt = False,
    webhook: WebhookOpt = None,
    profile: ProfileOpt = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Show all of terraform's output, not only its summary."
        ),
    ] = False,
) -> None:
    """Render VERSION on the idle colour, plan, guard, apply, then shift to it."""
    from generator.rollout import release

    ctx = release_context(
        env, "deploy", store=store, profile=profile, json_mode=json_mode, webhooks=webhook
    )
    strat = _strategy(ctx, strategy, steps, bake, poll)
    directory = default_stack_dir(ctx.env, stack_dir)

    def run() -> Deployment | None:
        if ctx.env.load_balancer.existing:  # before Terraform, as `zdd plan` does
            from generator.config.load import display_path, resolve_env_path
            from generator.infra.existing_lb import check_existing_listeners

            check_existing_listeners(
                ctx.clients.elbv2, ctx.env, display_path(resolve_env_path(env))
            )
        return release.deploy(
            ctx, version, directory, strat, break_lock=break_lock, echo=terraform_echo(verbose)
        )

    finish(ctx, json_mode, "deploy", run)


def status(
    env: EnvOpt,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history", help="List past deployments and what scaling idle colours down saved."
        ),
    ] = False,
    json_mode: JsonOpt = False,
    store: StoreOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Live colour, weights, what each colour runs, alarm states, the deployment in progress."""
    from generator.rollout.views.status import gather_status, render_status

    ctx = release_context(env, "status", store=store, profile=profile, json_mode=json_mode)
    report = gather_status(
        ctx.clients.elbv2,
        ctx.clients.cloudwatch,
        stack_outputs(ctx.env, outputs, stack_dir),
        ctx.store,
        history=history,
        services=ctx.ecs(),
    )
    if json_mode:
        print_json(report.to_dict())
    else:
        typer.echo(render_status(report))


def _control_command(what: Literal["promote", "abort"], doc: str) -> Callable[..., None]:
    """`zdd promote` and `zdd abort` take the same options and differ only in the request."""

    def command(
        env: EnvOpt,
        outputs: OutputsOpt = None,
        stack_dir: StackDirOpt = None,
        store: StoreOpt = None,
        json_mode: JsonOpt = False,
        profile: ProfileOpt = None,
    ) -> None:
        from generator.rollout import release

        ctx = release_context(env, what, store=store, profile=profile, json_mode=json_mode)
        found = stack_outputs(ctx.env, outputs, stack_dir)
        finish(ctx, json_mode, what, lambda: release.control(ctx, found, what))

    command.__name__ = what
    command.__doc__ = doc
    return command


promote = _control_command(
    "promote", "Pass a manual gate, or finish the deployment in progress at once."
)
abort = _control_command("abort", "Roll the deployment in progress back to the stable colour now.")


def resume(
    env: EnvOpt,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    store: StoreOpt = None,
    break_lock: BreakLockOpt = False,
    json_mode: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Finish an interrupted deployment from its journal, or complete its rollback."""
    from generator.rollout import release

    ctx = release_context(env, "resume", store=store, profile=profile, json_mode=json_mode)
    found = stack_outputs(ctx.env, outputs, stack_dir)
    finish(ctx, json_mode, "resume", lambda: release.resume(ctx, found, break_lock=break_lock))


def register(app: typer.Typer) -> None:
    for command in (shift, deploy, status, promote, abort, resume):
        app.command()(command)
