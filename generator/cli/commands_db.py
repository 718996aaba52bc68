"""db check, finalize."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from generator.cli._options import (
    EnvOpt,
    JsonOpt,
    OptionalEnvOpt,
    OutputsOpt,
    ProfileOpt,
    StackDirOpt,
    StoreOpt,
)
from generator.cli._runtime import (
    env_store,
    load_env,
    print_json,
    release_context,
    stack_outputs,
)
from generator.errors import InputError, MigrationRefused

db_app = typer.Typer(
    help="Database migrations: expand/contract classification.", no_args_is_help=True
)


@db_app.command("check")
def check(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Migration file or directory (default: the environment's).", metavar="[PATH]"
        ),
    ] = None,
    dialect: Annotated[
        str | None, typer.Option("--dialect", help="postgres, mysql or sqlite.")
    ] = None,
    env: OptionalEnvOpt = None,
    json_mode: JsonOpt = False,
) -> None:
    """Classify each statement as expand, contract or unknown (exit 3 unless all expand)."""
    from generator.config import environment_dir
    from generator.migrations import check_path, findings_json

    if env is not None:
        model = load_env(env)
        if model.database is None:
            raise InputError(f"{env}: the environment has no database section")
        path = path or environment_dir(env) / model.database.migrations
        dialect = dialect or model.database.dialect
    if path is None or dialect is None:
        raise InputError("db check needs PATH and --dialect (or --env with a database section)")
    findings = check_path(path, dialect)  # type: ignore[arg-type]
    if json_mode:
        typer.echo(findings_json(findings))
    else:
        for f in findings:
            mark = {"expand": "ok  ", "contract": "STOP", "unknown": "????"}[f.cls]
            typer.echo(f"{mark} {f.file}:{f.line}: {f.cls}: {f.reason}\n       {f.statement[:120]}")
        counts = {
            c: sum(1 for f in findings if f.cls == c) for c in ("expand", "contract", "unknown")
        }
        typer.echo(
            f"{counts['expand']} expand, {counts['contract']} contract, {counts['unknown']} unknown"
        )
    if any(f.cls != "expand" for f in findings):
        raise typer.Exit(MigrationRefused.exit_code)


def finalize(
    env: EnvOpt,
    store: StoreOpt = None,
    json_mode: JsonOpt = False,
    profile: ProfileOpt = None,
    outputs: OutputsOpt = None,
    stack_dir: StackDirOpt = None,
) -> None:
    """After the old colour is retired: scale it down (if due), release contract migrations."""
    from generator.config import environment_dir
    from generator.migrations import finalize as do_finalize

    model = load_env(env)
    scaled: int | None = None
    if model.capacity.idle == "scaled_down":
        from generator.rollout import release

        ctx = release_context(env, "finalize", store=store, profile=profile, json_mode=json_mode)
        try:
            scaled = release.retire(ctx, stack_outputs(model, outputs, stack_dir))
        finally:
            ctx.events.close()
    if model.database is None and model.capacity.idle == "scaled_down":
        names: list[str] = []
    else:
        the_store = env_store(model, store, profile)
        names = do_finalize(model, environment_dir(env), the_store, time.time())
    if json_mode:
        print_json({"finalized": names, "scaled_down_tasks": scaled})
    else:
        typer.echo("finalized: " + (", ".join(names) if names else "nothing pending"))


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command()(finalize)
