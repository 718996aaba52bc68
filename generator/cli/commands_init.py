"""init."""

from __future__ import annotations

import typer

from generator.cli._options import EnvOpt


def init(env: EnvOpt = "staging") -> None:
    """Scaffold this repository: environments/NAME.yaml to fill in, and .gitignore entries."""
    from generator.config import display_path
    from generator.config.scaffold import init_repository

    done = init_repository(env)
    typer.echo(f"created {display_path(done.environment_file)}")
    if done.gitignore_added:
        typer.echo(f"added {', '.join(done.gitignore_added)} to {display_path(done.gitignore)}")
    typer.echo(f"next: replace each <PLACEHOLDER> in {display_path(done.environment_file)}, then")
    for command in done.next_commands:
        typer.echo(f"  {command}")


def register(app: typer.Typer) -> None:
    app.command()(init)
