"""Wall-clock deadlines on whole outside calls (hooks, webhooks, anything that may hang).

A socket timeout bounds each read, not the call: a server that trickles one byte a
second never times out. Two tools close that gap:

* ``read_within`` reads a response body in chunks against a monotonic deadline, so the
  call itself ends in time (and its thread with it);
* ``call_within`` runs a call in a daemon thread and stops waiting at the deadline: it
  also bounds what no timeout reaches (DNS lookups, a client library's own retries).
  The abandoned call ends on its own timeouts; its result is ignored.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
CHUNK = 16 * 1024
INTERRUPT_WAIT_SECONDS = 2.0


class DeadlineExceeded(Exception):
    """The whole call did not finish before its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"deadline exceeded ({seconds:g}s for the whole call)")
        self.seconds = seconds


def remaining(deadline: float, seconds: float) -> float:
    """Seconds left until ``deadline`` (``time.monotonic``); raise when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded(seconds)
    return left


def _socket_of(response: Any) -> socket.socket | None:
    """The socket under an ``http.client`` response (or an ``HTTPError`` wrapping one)."""
    layer = response
    for _ in range(3):
        layer = getattr(layer, "fp", None)
        sock = getattr(getattr(layer, "raw", None), "_sock", None)
        if isinstance(sock, socket.socket):
            return sock
    return None


def read_within(response: Any, deadline: float, seconds: float, limit: int) -> bytes:
    """Read up to ``limit`` bytes of ``response`` before ``deadline``, chunk by chunk.

    Each socket read may wait only for what is left of the deadline, so a body that
    trickles in fails with ``DeadlineExceeded`` instead of holding the call.
    """
    sock = _socket_of(response)
    parts: list[bytes] = []
    size = 0
    while size < limit:
        left = remaining(deadline, seconds)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(left)
        try:
            chunk = response.read1(min(CHUNK, limit - size))
        except TimeoutError:
            raise DeadlineExceeded(seconds) from None
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def call_within(
    call: Callable[[], T],
    seconds: float,
    *,
    name: str = "zdd-call",
    on_interrupt: Callable[[], None] | None = None,
) -> T:
    """``call()``'s result, or ``DeadlineExceeded`` once ``seconds`` have passed.

    The call runs in a daemon thread: past the deadline it is abandoned (it never
    holds the process's exit), and its late result or error is dropped. A stop signal
    while waiting calls ``on_interrupt`` (tell the call to stop) and gives the call
    up to ``INTERRUPT_WAIT_SECONDS`` to end before the signal goes on.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    try:
        worker.join(seconds)
    except BaseException:
        if on_interrupt is not None:
            on_interrupt()
            worker.join(INTERRUPT_WAIT_SECONDS)
        raise
    if worker.is_alive():
        raise DeadlineExceeded(seconds)
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value
