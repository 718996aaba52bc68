"""demo."""

from __future__ import annotations

from typing import Annotated

import typer

from generator.cli._options import EnvOpt, JsonOpt


def demo(
    env: EnvOpt = "staging",
    speed: Annotated[
        float, typer.Option("--speed", help="Bake seconds per step in the demo.")
    ] = 2.0,
    json_mode: JsonOpt = False,
) -> None:
    """Apply the stack with terraform on an embedded AWS emulator; one good release, two bad."""
    from generator.demo.run import run_demo

    if not run_demo(env, bake_seconds=speed, json_mode=json_mode).ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(demo)
