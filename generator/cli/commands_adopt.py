"""adopt: after drift, record the listener as it is, once a person has decided."""

from __future__ import annotations

from typing import Annotated

import typer

from generator.cli._options import EnvOpt, JsonOpt, OutputsOpt, ProfileOpt, StackDirOpt, StoreOpt
from generator.cli._runtime import print_json, release_context, stack_outputs


def adopt(
    env: EnvOpt,
    live: Annotated[
        str,
        typer.Option(
            "--live",
            help="The colour that has all the traffic now: blue or green.",
            show_default=False,
        ),
    ],
    reason: Annotated[
        str,
        typer.Option(
            "--reason", help="Why this is right: kept in the journal.", show_default=False
        ),
    ],
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
    store: StoreOpt = None,
    json_mode: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """After drift (exit 4): record the listener as the truth, all traffic on --live.

    It moves nothing: it reads the listener back and refuses (exit 3) unless all the weight
    is on --live; an unfinished deployment is ended, and the journal says who and why.
    """
    from generator.colours import parse_colour
    from generator.rollout import release

    colour = parse_colour(live, "--live")
    ctx = release_context(env, "adopt", store=store, profile=profile, json_mode=json_mode)
    found = stack_outputs(ctx.env, outputs, stack_dir)
    record = release.adopt(ctx, found, colour, reason)
    if json_mode:
        print_json(
            {
                "adopted": colour,
                "id": record.id,
                "weights": record.weights,
                "by": record.actor.describe() if record.actor else None,
                "reason": reason,
            }
        )
        return
    typer.echo(f"{record.outcome_reason}; journalled as {record.id}")


def register(app: typer.Typer) -> None:
    app.command()(adopt)
