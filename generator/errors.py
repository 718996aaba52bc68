"""One hierarchy of errors; the CLI alone maps them to exit codes.

Core code raises these and never calls ``sys.exit``. Each class carries its exit
code (the README's exit-code table) so the mapping lives in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ZddError(Exception):
    """Base of every error zdd raises on purpose. Exit code 1: failed at run time."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(ZddError):
    """Bad input: configuration, arguments, files (exit 2)."""

    exit_code = 2


class ConfigError(InputError):
    """An environment file is unreadable or invalid; one line per problem."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))


class RefusedError(ZddError):
    """Refused for safety (exit 3): live colour touched, alarm firing, lock held..."""

    exit_code = 3


class PlanRefused(RefusedError):
    """The plan guard found changes to the live colour or shared resources."""


class LockHeld(RefusedError):
    """Another run holds the lock of this listener."""


class LeaseLost(LockHeld):
    """This run's lease on the listener lock is gone (expired, deleted or taken over).

    Raised by a store's heartbeat; the engine then stops moving forward.
    """


class PreflightRefused(RefusedError):
    """A pre-flight check failed before any weight moved."""


class MigrationRefused(RefusedError):
    """Contract migrations while the old colour may still take traffic back."""


ADOPT_HINT = (
    "Once a person has decided where traffic belongs and put all of it on one colour: "
    "`zdd adopt --env ENV --live COLOUR --reason TEXT` records the listener as it is "
    '(README: "Drift: when the listener was changed by hand").'
)


class DriftError(ZddError):
    """The world disagrees with the journal (exit 4): a human must look.

    Every message ends by naming the way out, ``zdd adopt`` (``ADOPT_HINT``)."""

    exit_code = 4

    def __init__(self, message: str) -> None:
        if "zdd adopt" not in message:
            said = message.rstrip()
            message = f"{said}{'' if said.endswith('.') else '.'} {ADOPT_HINT}"
        super().__init__(message)


class RoutesDisagree(DriftError):
    """A service's routes read back with different weights: a split zdd did not make, or a
    move that stopped half way across them (``readings``: each route's weights, in order).
    The engine finishes the second kind from its journalled intent; the first is drift."""

    def __init__(self, message: str, readings: Sequence[Mapping[Any, int]]) -> None:
        super().__init__(message)
        self.readings = readings


class ListenerNotFound(DriftError):
    """The production listener does not exist (deleted, or another account or region)."""


class SpecDrift(DriftError):
    """The live colour runs something else than the spec recorded when it was released."""


class AwsError(ZddError):
    """An AWS call failed at run time (exit 1): throttled, unreachable, refused."""


class ReleaseFailed(ZddError):
    """The release failed and traffic was rolled back to the stable colour (exit 1)."""


class TerraformError(ZddError):
    """A terraform command failed; carries its exit code and its whole stderr.

    The message is Terraform's first error (summary, resource address or file
    line, and its explanation): the one to fix first. Later errors are often
    consequences of it; ``--debug`` shows everything.
    """

    def __init__(self, command: list[str], returncode: int, stderr: str) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        what = first_terraform_error(stderr) or _tail(stderr)
        remedy = remedy_for(what)
        super().__init__(
            f"terraform {command[1] if len(command) > 1 else ''} failed (exit {returncode}): {what}"
            + (f" To fix: {remedy}" if remedy else "")
        )


class TerraformInterrupted(ZddError):
    """A stop signal arrived while terraform ran: it was told to stop (SIGINT, its graceful
    stop: it finishes what is in flight and releases the state lock) and waited for,
    or killed after a bounded wait (exit 1)."""

    def __init__(self, command: list[str], outcome: str) -> None:
        self.command = command
        self.subcommand = command[1] if len(command) > 1 else "run"
        self.outcome = outcome
        super().__init__(f"interrupted during terraform {self.subcommand}: {outcome}")


class TerraformTimeout(ZddError):
    """A terraform command ran past its time limit: it was stopped (SIGINT, then bounded
    waiting) and the error names the resources it was still on (exit 1)."""

    def __init__(
        self, command: list[str], limit: float, setting: str, busy: str, outcome: str
    ) -> None:
        self.command = command
        self.subcommand = command[1] if len(command) > 1 else "run"
        self.busy = busy
        self.outcome = outcome
        doing = f"still {busy}" if busy else "no resource in progress"
        super().__init__(
            f"terraform {self.subcommand} ran past its time limit of {limit:g}s ({setting} "
            f"in the environment), {doing}: {outcome}"
        )


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


# Summaries of an error where terraform could not get a provider plugin.
_PROVIDER_SOURCE_ERRORS = (
    "Failed to query available provider packages",
    "Failed to install provider",
    "Failed to resolve provider packages",
)
PROVIDER_SOURCE_REMEDY = (
    "give terraform a source for its providers: a provider_installation block naming a "
    "mirror in the CLI configuration that TF_CLI_CONFIG_FILE points at (zdd's Makefile "
    "writes one from TF_PROVIDER_MIRROR=DIR), or allow access to the Terraform registry."
)


_LOCK_FILE_ERRORS = ("dependency lock file", "lock file is read-only", "-lockfile=readonly")
LOCK_FILE_REMEDY = (
    "the committed provider lock file (ENV.terraform.lock.hcl beside the environment file) "
    "does not match the providers terraform finds or needs; refresh it with "
    "`zdd lock --env ENV` and review the change before committing it."
)


def remedy_for(first_error: str) -> str | None:
    """What to set when terraform's first error has a known cause outside the stack."""
    if any(marker in first_error for marker in _LOCK_FILE_ERRORS):
        return LOCK_FILE_REMEDY
    if first_error.startswith(_PROVIDER_SOURCE_ERRORS):
        return PROVIDER_SOURCE_REMEDY
    return None


def first_terraform_error(text: str) -> str | None:
    """``SUMMARY (at ADDRESS or FILE line N): DETAIL`` of the first ``Error:`` block, whole.

    Prose is unindented; source excerpts and value dumps are indented and left out,
    except the lines a sentence introduces with a colon (a command to run).
    """
    # Without -no-color terraform draws a box: "╷" above, "│ " before each line, "╵" below.
    lines = [line.removeprefix("│").removeprefix(" ") for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Error: ")), None)
    if start is None:
        return None
    block: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith(("Error: ", "Warning: ", "╵")):
            break
        block.append(line)
    summary = lines[start].removeprefix("Error: ").strip()
    where = _location(block)
    detail = " ".join(_prose(block))
    text_out = summary + (f" (at {where})" if where else "")
    return text_out + (f": {detail}" if detail else "")


def _prose(block: list[str]) -> list[str]:
    """The block's sentences: unindented lines, each paragraph ending in a full stop, and
    an indented line a sentence introduces with a colon (a command to run), quoted."""
    words: list[str] = []
    for line in [*block, ""]:
        stripped = line.strip()
        if not stripped:  # a paragraph ends
            if words and not words[-1].endswith((".", ":", "!", "?")):
                words[-1] += "."
        elif not line[:1].isspace():
            words.append(stripped)
        elif words and words[-1].endswith(":") and not stripped[:1].isdigit():
            words.append(f"`{stripped}`")
    return words


def _location(block: list[str]) -> str | None:
    """The first resource address (``with ...``) or file line (``on FILE line N``)."""
    for line in block:
        stripped = line.strip()
        if stripped.startswith("with "):
            return stripped.removeprefix("with ").rstrip(",")
        if stripped.startswith("on ") and " line " in stripped:
            return stripped.removeprefix("on ").split(",")[0].rstrip(":")
    return None


class NoStackOutputs(InputError):
    """``terraform output`` answered no outputs at all: an empty state, nothing applied."""


class StateUnreadable(ZddError):
    """The stack's state cannot be read (exit 1), so which colour is live is unknown.

    Never taken for "nothing applied yet": that would protect the environment file's
    colour instead of the one serving users.
    """

    def __init__(self, stack_dir: str, cause: str) -> None:
        self.stack_dir = stack_dir
        self.cause = " ".join(cause.split())  # one line, whatever terraform printed
        super().__init__(
            f"{stack_dir}: cannot read the stack's outputs ({self.cause}); zdd will not "
            "guess which colour is live: fix access to the state and run again"
        )


class StoreError(ZddError):
    """The deployment store cannot be read or written (exit 1, nothing moved)."""


class RollbackUnfinished(ZddError):
    """A rollback was decided and journalled but AWS could not be moved or read (exit 1).

    The journal keeps the deployment ``rolling_back``; ``zdd resume`` finishes it.
    """


class NotReady(ZddError):
    """The new colour's ECS rollout failed or did not finish in time; no weight moved (exit 1)."""
