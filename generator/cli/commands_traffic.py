"""shift, deploy, status, promote, abort, resume."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    TrafficContext,
    default_stack_dir,
    parse_colour,
    print_json,
    traffic_context,
)
from generator.errors import InputError

if TYPE_CHECKING:
    from generator.config import Colour, Strategy
    from generator.journal import Deployment


def _strategy(
    ctx: TrafficContext,
    strategy: str | None,
    steps: str | None,
    bake: float | None,
    poll: float | None,
) -> Strategy:
    from generator.strategy import Overrides, effective_strategy, parse_steps

    if strategy is not None and strategy not in ("all_at_once", "canary", "linear", "steps"):
        raise InputError(
            f"--strategy: expected all_at_once, canary, linear or steps (got {strategy!r})"
        )
    overrides = Overrides(
        strategy=strategy,  # type: ignore[arg-type]
        steps=parse_steps(steps) if steps else None,
        bake_seconds=bake,
        poll_seconds=poll,
    )
    return effective_strategy(ctx.env.strategy, overrides)


def _report(dep: Deployment | None, json_mode: bool, what: str) -> None:
    if json_mode:
        print_json(
            {
                "result": {
                    "status": dep.status if dep else "nothing",
                    "deployment": dep.model_dump() if dep else None,
                }
            }
        )
    elif dep is None:
        typer.echo(f"nothing to {what}")
    else:
        typer.echo(f"deployment {dep.id}: {dep.status} ({dep.from_colour} -> {dep.to_colour})")


def _run_release(
    ctx: TrafficContext,
    strat: Strategy,
    *,
    to: Colour | None,
    release: str | None,
    break_lock: bool,
    json_mode: bool,
    command: str,
) -> None:
    from generator.deploy import ReleaseSpec
    from generator.migrations import pending_release_migrations
    from generator.strategy import build_schedule

    migrations = pending_release_migrations(ctx.env, ctx.env_dir, ctx.store)
    spec = ReleaseSpec(
        schedule=build_schedule(strat),
        strategy=strat.type,
        to=to,
        release=release,
        migrations=migrations,
    )
    try:
        dep = ctx.engine(command, strat).shift(spec, break_lock=break_lock)
    finally:
        ctx.events.close()
    _report(dep, json_mode, command)


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
    ctx = traffic_context(
        env,
        outputs=outputs,
        stack_dir=stack_dir,
        store=store,
        profile=profile,
        json_mode=json_mode,
        webhooks=webhook,
    )
    strat = _strategy(ctx, strategy, steps, bake, poll)
    _run_release(
        ctx,
        strat,
        to=parse_colour(to, "--to"),
        release=None,
        break_lock=break_lock,
        json_mode=json_mode,
        command="shift",
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
) -> None:
    """Render VERSION on the idle colour, plan, guard, apply, then shift to it."""
    import sys

    from generator.cli._runtime import load_env
    from generator.release import apply_release

    model = load_env(env)
    directory = default_stack_dir(model, stack_dir)
    echo = None if json_mode else (lambda line: print(line, file=sys.stderr))
    outputs_file = apply_release(model, version, directory, profile=profile, echo=echo)
    ctx = traffic_context(
        env,
        outputs=outputs_file,
        store=store,
        profile=profile,
        json_mode=json_mode,
        webhooks=webhook,
    )
    strat = _strategy(ctx, strategy, steps, bake, poll)
    _run_release(
        ctx,
        strat,
        to=None,
        release=version,
        break_lock=break_lock,
        json_mode=json_mode,
        command="deploy",
    )


def status(
    env: EnvOpt,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    history: Annotated[bool, typer.Option("--history", help="List past deployments.")] = False,
    json_mode: JsonOpt = False,
    store: StoreOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Live colour, weights, each watched alarm and its state, the deployment in progress."""
    from generator.status import gather_status, render_status

    ctx = traffic_context(
        env, outputs=outputs, stack_dir=stack_dir, store=store, profile=profile, json_mode=json_mode
    )
    report = gather_status(
        ctx.clients.elbv2, ctx.clients.cloudwatch, ctx.outputs, ctx.store, history=history
    )
    if json_mode:
        print_json(report)
    else:
        typer.echo(render_status(report))


def _control(
    what: str,
    env: str,
    outputs: Path | None,
    stack_dir: Path | None,
    store: str | None,
    json_mode: bool,
    profile: str | None,
) -> None:
    ctx = traffic_context(
        env, outputs=outputs, stack_dir=stack_dir, store=store, profile=profile, json_mode=json_mode
    )
    try:
        dep = ctx.engine(what).request(what)  # type: ignore[arg-type]
    finally:
        ctx.events.close()
    _report(dep, json_mode, what)


def _control_command(what: str, doc: str) -> Callable[..., None]:
    """`zdd promote` and `zdd abort` take the same options and differ only in the request."""

    def command(
        env: EnvOpt,
        outputs: OutputsOpt = None,
        stack_dir: StackDirOpt = None,
        store: StoreOpt = None,
        json_mode: JsonOpt = False,
        profile: ProfileOpt = None,
    ) -> None:
        _control(what, env, outputs, stack_dir, store, json_mode, profile)

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
    ctx = traffic_context(
        env, outputs=outputs, stack_dir=stack_dir, store=store, profile=profile, json_mode=json_mode
    )
    try:
        dep = ctx.engine("resume").resume(break_lock=break_lock)
    finally:
        ctx.events.close()
    _report(dep, json_mode, "resume")


def register(app: typer.Typer) -> None:
    for command in (shift, deploy, status, promote, abort, resume):
        app.command()(command)
