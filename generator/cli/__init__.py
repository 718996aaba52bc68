"""The ``zdd`` command line: glue over the library, errors mapped to exit codes here.

Help must be fast: command modules import boto3, jinja2 and python-terraform
inside their functions, never at module level.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import typer

from generator import __version__, interrupts
from generator.cli import _json_result
from generator.errors import ZddError

EXIT_CODES = """Exit codes: 0 done as asked; 1 release failed and rolled back (or a run-time
failure); 2 bad input; 3 refused for safety (live colour touched, alarm firing, lock
held, contract migration in the rollback window); 4 the world disagrees with the
journal (listener changed out of band): a human must look."""

app = typer.Typer(
    name="zdd",
    help=f"Zero-downtime blue/green releases on AWS (zdd {__version__}).\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"zdd {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show zdd's version and exit."
        ),
    ] = False,
) -> None:
    _state["debug"] = debug


def _register() -> None:
    from generator.cli import (
        commands_adopt,
        commands_build,
        commands_db,
        commands_demo,
        commands_emulator,
        commands_init,
        commands_lock,
        commands_pipeline,
        commands_report,
        commands_rollback,
        commands_traffic,
        commands_warden,
    )

    commands_init.register(app)
    commands_build.register(app)
    commands_lock.register(app)
    commands_traffic.register(app)
    commands_rollback.register(app)
    commands_adopt.register(app)
    commands_report.register(app)
    commands_db.register(app)
    commands_demo.register(app)
    commands_emulator.register(app)
    commands_pipeline.register(app)
    commands_warden.register(app)


_register()


def main() -> None:
    # SIGINT, SIGTERM (CI cancelling) and SIGHUP (a closed terminal) all roll back.
    interrupts.install()
    _json_result.reset()
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ZddError as exc:
        if _state["debug"]:
            traceback.print_exc()  # the traceback, and still the contract's exit code
            _json_result.ensure_result(sys.argv[1:], exc.exit_code, str(exc))
            sys.exit(exc.exit_code)
        from generator.errors import ConfigError

        # Config problems are already "FILE: FIELD: expected", one per line.
        print(str(exc) if isinstance(exc, ConfigError) else f"zdd: {exc}", file=sys.stderr)
        from generator.pipeline.plan_report import annotate_error

        annotate_error(str(exc), exc.exit_code)  # under GitHub Actions: an ::error:: annotation
        _json_result.ensure_result(sys.argv[1:], exc.exit_code, str(exc))
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        # A stop signal outside the engine (which rolls back and exits 1 itself): the
        # command failed at run time, exit 1 as the contract says, never 130.
        print("zdd: interrupted", file=sys.stderr)
        _json_result.ensure_result(sys.argv[1:], 1, "interrupted")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:
        # Usage errors arrive here in non-standalone mode. typer vendors its own
        # click, so recognise them by shape: they can show themselves and carry a code.
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            show()
            _json_result.ensure_result(
                sys.argv[1:], 2, str(exc).splitlines()[0] if str(exc) else ""
            )
            sys.exit(2)
        if _state["debug"]:
            traceback.print_exc()
        else:
            first = (str(exc).splitlines() or [""])[0][:300]
            print(
                f"zdd: unexpected error: {type(exc).__name__}: {first} "
                "(rerun with --debug for the traceback)",
                file=sys.stderr,
            )
        _json_result.ensure_result(sys.argv[1:], 1, type(exc).__name__, unexpected=True)
        sys.exit(1)
