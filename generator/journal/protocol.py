"""What every journal store implements, and the lease rules they share.

The stores (``local``, ``dynamo``) implement ``DeploymentStore``: versioned reads
and conditional writes of one ``JournalDoc``, and a lease-based lock of one listener.
A lease whose holder is gone is never taken over silently: only ``zdd resume``
(``take_over=True``) or an explicit ``--break-lock`` (``force=True``) may.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from generator.errors import StoreError
from generator.journal.model import JournalDoc, LockInfo

DEFAULT_LEASE_SECONDS = 120.0


def lease_key(service: str, environment: str) -> str:
    """What one lease guards: the one place its key is derived (each store prefixes it)."""
    return f"{service}#{environment}"


@dataclass(frozen=True)
class Owner:
    """Who holds a lock: a fresh id per run, plus where it runs."""

    id: str
    host: str
    pid: int
    command: str

    @classmethod
    def current(cls, command: str) -> Owner:
        return cls(uuid.uuid4().hex[:12], socket.gethostname(), os.getpid(), command)


class VersionConflict(StoreError):
    """Someone else wrote the document since we read it."""


class DeploymentStore(Protocol):
    """The journal and lock of one service and environment."""

    def load(self) -> JournalDoc: ...

    def save(self, doc: JournalDoc) -> None:
        """Write ``doc`` if nobody wrote since it was loaded; bumps ``doc.version``."""
        ...

    def acquire(self, owner: Owner, *, take_over: bool = False, force: bool = False) -> None: ...

    def heartbeat(self, owner: Owner) -> None: ...

    def release(self, owner: Owner) -> None: ...

    def lock_info(self) -> LockInfo | None: ...

    def describe(self) -> str: ...


def update(
    store: DeploymentStore, change: Callable[[JournalDoc], None], attempts: int = 5
) -> JournalDoc:
    """Read, change and conditionally write, retrying when another writer won."""
    for _ in range(attempts):
        doc = store.load()
        change(doc)
        try:
            store.save(doc)
            return doc
        except VersionConflict:
            continue
    raise StoreError(f"{store.describe()}: too many concurrent writers; try again")


def new_lease(
    owner: Owner, now: float, lease_seconds: float, since: float | None = None
) -> LockInfo:
    """The lock record of ``owner``, valid for ``lease_seconds`` from ``now``."""
    return LockInfo(
        owner=owner.id,
        host=owner.host,
        pid=owner.pid,
        since=now if since is None else since,
        expires=now + lease_seconds,
        command=owner.command,
    )


def holder_gone(info: LockInfo, now: float) -> bool:
    """A lease is stale when it expired or, on this host, its process is gone."""
    if info.expires < now:
        return True
    if info.host == socket.gethostname():
        try:
            os.kill(info.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def held_message(info: LockInfo, gone: bool) -> str:
    if gone:
        return (
            f"listener locked by {info.describe()}, which is gone: "
            "run `zdd resume` to finish its deployment, or pass --break-lock"
        )
    return f"listener locked by {info.describe()}; another run is shifting it"
