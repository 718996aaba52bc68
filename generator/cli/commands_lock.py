"""lock."""

from __future__ import annotations

from typing import Annotated

import typer

from generator.cli._options import EnvOpt, JsonOpt
from generator.cli._runtime import committed_lock, echo_to_stderr, load_env, print_json


def lock(
    env: EnvOpt,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            help="OS_ARCH to record checksums for (repeatable; default: the environment's "
            "terraform.platforms).",
        ),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Refresh the committed provider lock file (ENV.terraform.lock.hcl beside the
    environment): `terraform providers lock`, from the configured mirror or the registry."""
    from generator.config.sources import platform_problem
    from generator.errors import InputError
    from generator.infra.relock import refresh_provider_lock

    model = load_env(env)
    for item in platform or []:
        problem = platform_problem(item)
        if problem:
            raise InputError(f"--platform: {problem}")
    path = committed_lock(env, model)
    done = refresh_provider_lock(model, path, platforms=platform, echo=echo_to_stderr())
    result = {
        "lock_file": str(path),
        "platforms": list(done.platforms),
        "skipped": list(done.skipped),
        "mirror": str(done.fs_mirror) if done.fs_mirror else None,
    }
    if json_mode:
        print_json(result)
        return
    source = f"the mirror {done.fs_mirror}" if done.fs_mirror else "the registry"
    typer.echo(f"locked providers for {', '.join(done.platforms)} from {source} into {path}")
    if done.skipped:
        typer.echo(f"not locked (the mirror does not hold them): {', '.join(done.skipped)}")
    typer.echo("review the change and commit it; every plan uses this file as it is")


def register(app: typer.Typer) -> None:
    app.command()(lock)
