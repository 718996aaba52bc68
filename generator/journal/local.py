"""The journal in a local directory: one JSON document, atomically replaced, an archive of
older deployments (one JSON line each, appended) and a lease file."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import ValidationError

from generator.errors import LeaseLost, LockHeld, StoreError
from generator.files import JOURNAL_FILE, SMALL_STATE, atomic_write, read_capped
from generator.journal.compact import compact, dump_record
from generator.journal.model import Deployment, JournalDoc, LockInfo, dump_journal
from generator.journal.protocol import (
    DEFAULT_LEASE_SECONDS,
    Owner,
    VersionConflict,
    held_message,
    holder_gone,
    lease_key,
    new_lease,
)


class LocalStore:
    """One JSON document per service and environment in a directory, atomically replaced.

    The document keeps to the same budgets as in DynamoDB (journal/budget.py): a file
    has no item limit, but rewriting thousands of deployments on every poll would be
    slow, and one code path keeps the two stores alike. Older deployments are
    appended to ``SERVICE-ENV.archive.jsonl`` before the document stops holding them.
    """

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
        self.lease_path = (
            self.directory / f"{lease_key(service, environment).replace('#', '-')}.lock.json"
        )
        self.archive_path = self.directory / f"{stem}.archive.jsonl"
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
            plan = compact(doc)
            text = dump_journal(plan.live, doc.version + 1, indent=2)
            if plan.evicted:
                self._append_archive(plan.first_seq, plan.evicted)
            self._write(self.path, text + "\n")
            doc.version += 1
            plan.settle(doc)

    def _append_archive(self, first_seq: int, deployments: list[Deployment]) -> None:
        """Append archived deployments; a line written again after a crash is read once."""
        lines = "".join(
            f'{{"seq": {first_seq + i}, "deployment": {dump_record(d)}}}\n'
            for i, d in enumerate(deployments)
        )
        try:
            with self.archive_path.open("a+", encoding="utf-8") as out:
                # A line cut short by a crash has no newline: end it, or the next record
                # would be glued to it and both lost when read.
                if out.tell() > 0:
                    out.seek(out.tell() - 1)
                    if out.read(1) != "\n":
                        lines = "\n" + lines
                out.write(lines)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise StoreError(
                f"{self.archive_path}: cannot be written ({exc.strerror or exc})"
            ) from None

    def load_archive(self, doc: JournalDoc) -> list[Deployment]:
        """Archived deployments 0 .. ``doc.archived``-1, oldest first (for history views)."""
        found: dict[int, Deployment] = {}
        try:
            lines = self.archive_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"{self.archive_path}: cannot be read ({exc})") from None
        for line in lines:
            try:
                record = json.loads(line)
                found[int(record["seq"])] = Deployment.model_validate(record["deployment"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash: its deployment was written again
        return [found[seq] for seq in sorted(found) if seq < doc.archived]

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
