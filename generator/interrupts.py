"""Signals that stop a run, and the stretches of code they must not cut short.

SIGINT, SIGTERM (CI cancelling a job) and SIGHUP (a closed terminal or SSH
session) all mean "stop": the first one raises KeyboardInterrupt so a release in
flight rolls back. From then on the run is *stopping*: further stop signals are
remembered but never raise again, so a second Ctrl-C cannot cut the rollback
short and leave traffic on a colour nobody vouches for.

Two kinds of protected blocks:

* ``critical()``: a journal write. A signal arriving meanwhile takes effect when
  the write is done, so the journal is never left half-decided by a signal.
* ``shielded()``: a rollback. Signals arriving meanwhile are absorbed: the run is
  already stopping, and this is how it stops.

A process stays stopping until it exits; a long-lived process that drives several
releases calls ``reset()`` after handling one that was interrupted.

Signal handlers run in the main thread only; without ``install()`` Python's
default SIGINT handling applies and none of this protection exists.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class _State:
    stopping: bool = False  # a stop signal was acted upon: later ones are absorbed
    depth: int = 0  # nesting of critical()/shielded() blocks
    pending: list[int] = field(default_factory=list)  # arrived inside a critical block
    received: list[int] = field(default_factory=list)  # every stop signal since reset()


_state = _State()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _state.received.append(signum)
    if _state.stopping:
        return
    if _state.depth:
        _state.pending.append(signum)
        return
    _state.stopping = True
    raise KeyboardInterrupt


def install() -> None:
    """Make every stop signal raise KeyboardInterrupt once (main thread only)."""
    reset()
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_signal)


def reset() -> None:
    """Forget earlier signals: a fresh run."""
    _state.stopping = False
    _state.depth = 0
    _state.pending = []
    _state.received = []


def stopping() -> bool:
    """A stop signal was acted upon (or is pending) in this run."""
    return _state.stopping or bool(_state.pending)


def received() -> list[int]:
    """Every stop signal seen since ``install()``, absorbed or not."""
    return list(_state.received)


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """Finish the block before acting on a stop signal that arrives meanwhile."""
    _state.depth += 1
    completed = False
    try:
        yield
        completed = True
    finally:
        _state.depth -= 1
        if not _state.depth and _state.pending and not _state.stopping:
            _state.pending = []
            _state.stopping = True
            if completed:  # otherwise the block's own error is already stopping the run
                raise KeyboardInterrupt


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run the block to its end; stop signals arriving meanwhile are absorbed."""
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.pending:
            _state.pending = []
            _state.stopping = True  # the run already stops: this rollback is how
