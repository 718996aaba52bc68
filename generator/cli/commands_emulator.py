"""emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from generator.cli._options import ENV_HELP, JsonOpt
from generator.cli._runtime import load_env, print_json

if TYPE_CHECKING:
    from generator.demo.standalone import EmulatorReady


def _announce(ready: EmulatorReady, json_mode: bool) -> None:
    if json_mode:
        print_json(ready.to_dict())
        return
    typer.echo(f"# zdd emulator: moto with zdd's additions on {ready.endpoint}; Ctrl-C stops it")
    typer.echo("unset AWS_PROFILE AWS_SESSION_TOKEN")
    for key, value in ready.variables.items():
        typer.echo(f"export {key}={value}")
    net = ready.network
    if net is not None:
        typer.echo(
            f"# created VPC {net.vpc_id}, subnets {', '.join(net.subnet_ids)}, certificate "
            f"{net.certificate_arn}; environment files that use them: {ready.environments_dir}"
        )
    typer.echo("# then: zdd plan --env ENV && zdd apply --env ENV && zdd deploy --env ENV ...")


def emulator(
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help=ENV_HELP, show_default=False),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: a free one).")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="AWS region (default: the environment's, or eu-west-1)."),
    ] = None,
    json_mode: JsonOpt = False,
) -> None:
    """Run the AWS emulator of the demo and tests (moto) until Ctrl-C; print what to export.

    With --env (repeatable) it also creates the VPC, subnets and certificate those
    environments need and writes copies of their files that use them (ZDD_ENVIRONMENTS).
    """
    from generator.config import resolve_env_path
    from generator.demo.standalone import DEFAULT_REGION, require_moto, run_emulator

    require_moto()
    models = [load_env(name) for name in env or []]  # bad files: exit 2 before starting
    files = [resolve_env_path(name) for name in env or []]
    chosen = region or (models[0].region if models else DEFAULT_REGION)
    run_emulator(
        lambda ready: _announce(ready, json_mode),
        port=port,
        region=chosen,
        env_files=files,
    )


def register(app: typer.Typer) -> None:
    app.command()(emulator)
