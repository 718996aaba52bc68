"""Where the journal lives: a local directory (default) or a DynamoDB table.

Both implement ``DeploymentStore``: versioned reads and conditional writes of one
``JournalDoc``, and a lease-based lock of one listener. A lease whose holder is
gone is never taken over silently: only ``zdd resume`` (``take_over=True``) or an
explicit ``--break-lock`` (``force=True``) may.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from filelock import FileLock, Timeout
from pydantic import ValidationError

from generator.errors import LockHeld, StoreError
from generator.journal import JournalDoc, LockInfo

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

DEFAULT_LEASE_SECONDS = 120.0


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


def _holder_gone(info: LockInfo, now: float) -> bool:
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


def _held_message(info: LockInfo, gone: bool) -> str:
    if gone:
        return (
            f"listener locked by {info.describe()}, which is gone: "
            "run `zdd resume` to finish its deployment, or pass --break-lock"
        )
    return f"listener locked by {info.describe()}; another run is shifting it"


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
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StoreError(f"{path}: cannot be written ({exc.strerror or exc})") from None

    def _read_doc(self) -> JournalDoc:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return JournalDoc(service=self.service, environment=self.environment)
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
            doc.version += 1
            self._write(self.path, doc.model_dump_json(indent=2) + "\n")

    def lock_info(self) -> LockInfo | None:
        try:
            return LockInfo.model_validate_json(self.lease_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValidationError):
            raise StoreError(f"{self.lease_path}: lock file unreadable") from None

    def _lease(self, owner: Owner, since: float | None = None) -> LockInfo:
        return new_lease(owner, self.clock(), self.lease_seconds, since)

    def acquire(self, owner: Owner, *, take_over: bool = False, force: bool = False) -> None:
        with self._mutex():
            info = self.lock_info()
            if info is not None and info.owner != owner.id and not force:
                gone = _holder_gone(info, self.clock())
                if not (gone and take_over):
                    raise LockHeld(_held_message(info, gone))
            self._write(self.lease_path, self._lease(owner).model_dump_json() + "\n")

    def heartbeat(self, owner: Owner) -> None:
        with self._mutex():
            info = self.lock_info()
            if info is None or info.owner != owner.id:
                raise LockHeld("lost the listener lock to another run (--break-lock?)")
            self._write(self.lease_path, self._lease(owner, info.since).model_dump_json() + "\n")

    def release(self, owner: Owner) -> None:
        with self._mutex():
            info = self.lock_info()
            if info is not None and info.owner == owner.id:
                self.lease_path.unlink(missing_ok=True)


class DynamoStore:
    """Journal and lock as two items of one table, written conditionally.

    Items: ``journal#SERVICE#ENV`` holds the document and its version;
    ``lock#SERVICE#ENV`` holds owner, lease expiry and the last heartbeat.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        service: str,
        environment: str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.table = table
        self.service = service
        self.environment = environment
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.doc_key = f"journal#{service}#{environment}"
        self.lock_key = f"lock#{service}#{environment}"

    def describe(self) -> str:
        return f"dynamodb://{self.table}"

    @contextlib.contextmanager
    def _calls(self) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise
            raise StoreError(f"dynamodb://{self.table}: {code or exc}") from None
        except BotoCoreError as exc:
            raise StoreError(f"dynamodb://{self.table}: unreachable ({exc})") from None

    @staticmethod
    def _conditional_failed(exc: Exception) -> bool:
        response: dict[str, Any] = getattr(exc, "response", {})
        return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")

    def load(self) -> JournalDoc:
        with self._calls():
            item = self.client.get_item(
                TableName=self.table, Key={"pk": {"S": self.doc_key}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return JournalDoc(service=self.service, environment=self.environment)
        try:
            return JournalDoc.model_validate_json(item["doc"]["S"])
        except (KeyError, ValidationError):
            raise StoreError(f"dynamodb://{self.table}: journal item is corrupt") from None

    def save(self, doc: JournalDoc) -> None:
        expected = doc.version
        doc.version += 1
        condition: dict[str, Any]
        if expected == 0:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expected)}},
            }
        try:
            with self._calls():
                self.client.put_item(
                    TableName=self.table,
                    Item={
                        "pk": {"S": self.doc_key},
                        "version": {"N": str(doc.version)},
                        "doc": {"S": doc.model_dump_json()},
                    },
                    **condition,
                )
        except Exception as exc:
            doc.version = expected
            if self._conditional_failed(exc):
                raise VersionConflict(
                    f"dynamodb://{self.table}: changed by another writer"
                ) from None
            raise

    def lock_info(self) -> LockInfo | None:
        with self._calls():
            item = self.client.get_item(
                TableName=self.table, Key={"pk": {"S": self.lock_key}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        return LockInfo.model_validate(json.loads(item["lease"]["S"]))

    def _put_lease(self, info: LockInfo, **condition: Any) -> None:
        with self._calls():
            self.client.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": self.lock_key},
                    "owner": {"S": info.owner},
                    "expires": {"N": repr(info.expires)},
                    "heartbeat": {"N": repr(self.clock())},
                    "lease": {"S": info.model_dump_json()},
                },
                **condition,
            )

    def acquire(self, owner: Owner, *, take_over: bool = False, force: bool = False) -> None:
        now = self.clock()
        info = new_lease(owner, now, self.lease_seconds)
        condition: dict[str, Any] = {}
        if not force:
            expr = "attribute_not_exists(pk) OR #o = :me"
            values: dict[str, Any] = {":me": {"S": owner.id}}
            if take_over:
                expr += " OR expires < :now"
                values[":now"] = {"N": repr(now)}
            condition = {
                "ConditionExpression": expr,
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": values,
            }
        try:
            self._put_lease(info, **condition)
        except Exception as exc:
            if not self._conditional_failed(exc):
                raise
            holder = self.lock_info()
            if holder is None:
                raise LockHeld("listener lock changed hands while acquiring; retry") from None
            raise LockHeld(_held_message(holder, _holder_gone(holder, now))) from None

    def heartbeat(self, owner: Owner) -> None:
        holder = self.lock_info()
        if holder is None or holder.owner != owner.id:
            raise LockHeld("lost the listener lock to another run (--break-lock?)")
        now = self.clock()
        renewed = holder.model_copy(update={"expires": now + self.lease_seconds})
        try:
            self._put_lease(
                renewed,
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": owner.id}},
            )
        except Exception as exc:
            if self._conditional_failed(exc):
                raise LockHeld("lost the listener lock to another run (--break-lock?)") from None
            raise

    def release(self, owner: Owner) -> None:
        try:
            with self._calls():
                self.client.delete_item(
                    TableName=self.table,
                    Key={"pk": {"S": self.lock_key}},
                    ConditionExpression="#o = :me",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":me": {"S": owner.id}},
                )
        except Exception as exc:
            if not self._conditional_failed(exc):
                raise


def open_store(
    url: str,
    service: str,
    environment: str,
    *,
    base_dir: Path | None = None,
    dynamodb: Callable[[], DynamoDBClient] | None = None,
    lease_seconds: float | None = None,
) -> DeploymentStore:
    """``dynamodb://TABLE`` or a directory (relative to ``base_dir``)."""
    lease = DEFAULT_LEASE_SECONDS if lease_seconds is None else lease_seconds
    if url.startswith("dynamodb://"):
        if dynamodb is None:
            raise StoreError("a DynamoDB store needs AWS access")
        return DynamoStore(
            dynamodb(), url.removeprefix("dynamodb://"), service, environment, lease_seconds=lease
        )
    directory = Path(url)
    if not directory.is_absolute():
        directory = (base_dir or Path.cwd()) / directory
    return LocalStore(directory, service, environment, lease_seconds=lease)
