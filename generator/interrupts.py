"""Signals that stop a run, and the one stretch of code they must not cut short.

SIGINT, SIGTERM (CI cancelling a job) and SIGHUP (a closed terminal or SSH
session) all mean "stop": they raise KeyboardInterrupt so a release in flight
rolls back. Once a rollback has been decided and journalled, further signals are
remembered but do not interrupt it: cutting a rollback short is how traffic is
left on a colour nobody vouches for.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_shielded = 0
_deferred: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _shielded:
        _deferred.append(signum)
        return
    raise KeyboardInterrupt


def install() -> None:
    """Make every stop signal raise KeyboardInterrupt (main thread only)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_signal)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run the block to its end even if a stop signal arrives meanwhile."""
    global _shielded
    _shielded += 1
    try:
        yield
    finally:
        _shielded -= 1


def deferred() -> list[int]:
    """Signals that arrived while shielded (the run already stops because of them)."""
    return list(_deferred)
