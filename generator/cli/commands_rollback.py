"""rollback: after a promotion, everyone back on the previous colour."""

from __future__ import annotations

from typing import Annotated

import typer

from generator.cli._options import EnvOpt, JsonOpt, OutputsOpt, ProfileOpt, StackDirOpt, StoreOpt
from generator.cli._runtime import finish, release_context, stack_outputs


def rollback(
    env: EnvOpt,
    reason: Annotated[
        str, typer.Option("--reason", help="Why, for the journal and the hooks.")
    ] = "zdd rollback",
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="Refuse (exit 3) rather than scale a scaled-down previous colour up first.",
        ),
    ] = False,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    store: StoreOpt = None,
    json_mode: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Undo the last promotion: all traffic back on the previous colour in one verified step."""
    from generator.rollout import release

    ctx = release_context(env, "rollback", store=store, profile=profile, json_mode=json_mode)
    found = stack_outputs(ctx.env, outputs, stack_dir)
    finish(
        ctx,
        json_mode,
        "rollback",
        lambda: release.revert(ctx, found, reason=reason, wait=not no_wait),
    )


def register(app: typer.Typer) -> None:
    app.command()(rollback)
