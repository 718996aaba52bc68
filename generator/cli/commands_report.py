"""report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.cli._options import EnvOpt, ProfileOpt, StoreOpt
from generator.cli._runtime import default_stack_dir, env_store, load_env


def report(
    env: EnvOpt,
    deployment: Annotated[
        str | None,
        typer.Argument(
            help="Deployment id (or a unique prefix); default: the latest.", show_default=False
        ),
    ] = None,
    last: Annotated[
        int | None, typer.Option("--last", help="The last N deployments instead of one.")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Write the HTML report here (default: build/ENV/zdd-report.html).",
            dir_okay=False,
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a Markdown summary (PR comments, CI).")
    ] = False,
    store: StoreOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Draw releases from the journal: a self-contained HTML report, or Markdown."""
    from generator.report import export

    model = load_env(env)
    target = (
        html if html is not None or markdown else default_stack_dir(model, None) / "zdd-report.html"
    )
    done = export(
        env_store(model, store, profile),
        deployment_id=deployment,
        last=last,
        html=target,
        markdown=markdown,
    )
    if done.markdown is not None:
        typer.echo(done.markdown, nl=False)
    if done.html is not None:
        typer.echo(f"report: {done.html}", err=done.markdown is not None)


def register(app: typer.Typer) -> None:
    app.command()(report)
