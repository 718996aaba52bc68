"""The journal in a local directory: one JSON document, atomically replaced, and a lease file."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import ValidationError

from generator.bounded import JOURNAL_FILE, SMALL_STATE, read_capped
from generator.errors import LeaseLost, LockHeld, StoreError
from generator.files import atomic_write
from generator.journal.model import JournalDoc, LockInfo, dump_journal
from generator.journal.store import (
    DEFAULT_LEASE_SECONDS,
    Owner,
    VersionConflict,
    held_message,
    holder_gone,
    new_lease,
)


class LocalStore:
    """One JSON document per service and environment in a directory, atomically replaced."""

    def __init__(
        self,
        directory: Path,
        service: str,
        environment: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.service = service
        self.environment = environment
        self.lease_seconds = lease_seconds
        self.clock = clock
        stem = f"{service}-{environment}"
        self.path = self.directory / f"{stem}.json"
        self.lease_path = self.directory / f"{stem}.lock.json"
        self._mutex_path = self.directory / f".{stem}.mutex"

    def describe(self) -> str:
        return str(self.path)

    @contextlib.contextmanager
    def _mutex(self) -> Iterator[None]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with FileLock(str(self._mutex_path), timeout=30):
                yield
        except Timeout:
            raise StoreError(f"{self.directory}: store busy for 30 s") from None
        except PermissionError:
            raise StoreError(f"{self.directory}: store directory is not writable") from None
        except OSError as exc:
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{self.directory}: store unusable ({exc.strerror or exc})") from None

    def _write(self, path: Path, text: str) -> None:
        try:
            atomic_write(path, text)
        except OSError as exc:
            raise StoreError(f"{path}: cannot be written ({exc.strerror or exc})") from None

    def _read_doc(self) -> JournalDoc:
        try:
            text = read_capped(self.path, JOURNAL_FILE, "journal")
        except FileNotFoundError:
            return JournalDoc(service=self.service, environment=self.environment)
        except UnicodeDecodeError:
            raise StoreError(
                f"{self.path}: journal is corrupt (not UTF-8 text); it was not changed"
            ) from None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        try:
            return JournalDoc.model_validate_json(text)
        except ValidationError:
            raise StoreError(f"{self.path}: journal is corrupt; it was not changed") from None

    def load(self) -> JournalDoc:
        with self._mutex():
            return self._read_doc()

    def save(self, doc: JournalDoc) -> None:
        with self._mutex():
            on_disk = self._read_doc()
            if on_disk.version != doc.version:
                raise VersionConflict(f"{self.path}: changed by another writer")
            text = dump_journal(doc, doc.version + 1, indent=2)
            self._write(self.path, text + "\n")
            doc.version += 1

    def lock_info(self) -> LockInfo | None:
        try:
            text = read_capped(self.lease_path, SMALL_STATE, "lock file")
            return LockInfo.model_validate_json(text)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # ValueError: not UTF-8, not JSON, not a lease
            raise StoreError(
                f"{self.lease_path}: lock file unreadable; remove it if no zdd runs"
            ) from None

    def _lease(self, owner: Owner, since: float | None = None) -> LockInfo:
        return new_lease(owner, self.clock(), self.lease_seconds, since)

    def acquire(self, owner: Owner, *, take_over: bool = False, force: bool = False) -> None:
        with self._mutex():
            info = self.lock_info()
            if info is not None and info.owner != owner.id and not force:
                gone = holder_gone(info, self.clock())
                if not (gone and take_over):
                    raise LockHeld(held_message(info, gone))
            self._write(self.lease_path, self._lease(owner).model_dump_json() + "\n")

    def heartbeat(self, owner: Owner) -> None:
        with self._mutex():
            info = self.lock_info()
            if info is None or info.owner != owner.id:
                who = info.describe() if info else "nobody (the lock file was removed)"
                raise LeaseLost(f"lost the listener lock: it is held by {who}")
            self._write(self.lease_path, self._lease(owner, info.since).model_dump_json() + "\n")

    def release(self, owner: Owner) -> None:
        with self._mutex():
            info = self.lock_info()
            if info is not None and info.owner == owner.id:
                self.lease_path.unlink(missing_ok=True)
