"""Under ``--json``, the ``result`` line is the last line on every exit path.

Release commands print it through ``_runtime.finish``. An error raised before
(bad input: a missing file, contradictory outputs, a usage error) or a command
that prints no result of its own would otherwise end a JSON run with nothing a
machine can read; ``main`` calls ``ensure_result`` on its way out.
"""

from __future__ import annotations

import json
import sys

_state = {"printed": False}
_STATUS = {1: "failed", 2: "invalid", 3: "refused", 4: "drift"}


def reset() -> None:
    _state["printed"] = False


def saw(data: object) -> None:
    """Called for every JSON line printed: remember whether it was the result."""
    _state["printed"] = isinstance(data, dict) and "result" in data


def json_mode(argv: list[str]) -> bool:
    """Whether ``--json`` was given (before any ``--``)."""
    options = argv[: argv.index("--")] if "--" in argv else argv
    return "--json" in options


def _command(argv: list[str]) -> str:
    return next((arg for arg in argv if not arg.startswith("-")), "")


def ensure_result(argv: list[str], exit_code: int, error: str, *, unexpected: bool = False) -> None:
    """Print a ``result`` line for a failed ``--json`` run that has not printed one last."""
    if not json_mode(argv) or _state["printed"]:
        return
    status = "unexpected" if unexpected else _STATUS.get(exit_code, "failed")
    line = {
        "result": {
            "command": _command(argv),
            "status": status,
            "exit_code": exit_code,
            "error": error,
            "deployment": None,
        }
    }
    sys.stdout.write(json.dumps(line, sort_keys=True) + "\n")
    sys.stdout.flush()
    _state["printed"] = True
