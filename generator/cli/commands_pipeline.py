"""pipeline: CI definitions for GitHub Actions or GitLab CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli._options import ENV_HELP


def pipeline(
    system: Annotated[
        str, typer.Argument(help="CI system: github or gitlab.", metavar="github|gitlab")
    ],
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help=ENV_HELP),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output directory (default: .github/workflows or .gitlab/zdd).",
            file_okay=False,
        ),
    ] = None,
    install: Annotated[
        str | None,
        typer.Option(
            "--install",
            help="Pinned pip requirement CI installs zdd from, e.g. "
            "'zdd @ git+https://HOST/ORG/zdd@v0.1.0' or a wheel URL (required).",
        ),
    ] = None,
) -> None:
    """Render CI pipelines that plan, apply the reviewed plan and shift, per environment.

    --env is repeatable; without it, every environments/*.yaml.
    """
    from generator.errors import InputError
    from generator.pipeline import Pins, generate_pipeline

    if not install:
        # "zdd" on PyPI is another project: a default of zdd==VERSION would install it.
        raise InputError(
            "--install: say where CI installs zdd from, pinned: a wheel URL or "
            "'zdd @ git+https://HOST/ORG/zdd@vX.Y.Z' (the name zdd on PyPI is another project)"
        )
    pins = Pins(zdd_requirement=install)
    result = generate_pipeline(system, env or [], out, pins)
    typer.echo(f"rendered {', '.join(result.files)}")
    for name in result.removed:
        typer.echo(f"removed {name} (no longer generated)")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)


def register(app: typer.Typer) -> None:
    app.command()(pipeline)
