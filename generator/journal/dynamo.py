"""The journal in DynamoDB: items of one table, written conditionally, for shared runners."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from generator.errors import LeaseLost, LockHeld, StoreError
from generator.journal.budget import ITEM_LIMIT, MAX_TRANSACTION_ITEMS
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

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def item_size(item: dict[str, Any]) -> int:
    """The bytes DynamoDB counts for ``item``: attribute names and values, UTF-8.

    A number counts at most its digits plus one, so this never undercounts.
    """
    size = 0
    for name, value in item.items():
        size += len(name.encode("utf-8"))
        if "S" in value:
            size += len(value["S"].encode("utf-8", "surrogatepass"))
        else:
            size += len(value["N"]) + 1
    return size


class DynamoStore:
    """Journal and lock as items of one table (key schema: ``pk`` only), written conditionally.

    Items: ``journal#SERVICE#ENV`` holds the document and its version (the live
    item, bounded by journal/budget.py); ``journal#SERVICE#ENV#archive#NNNNNN``
    holds archived deployment NNNNNN, immutable once written; ``lock#SERVICE#ENV``
    holds owner, lease expiry and the last heartbeat.
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
        self.lock_key = f"lock#{lease_key(service, environment)}"

    def describe(self) -> str:
        return f"dynamodb://{self.table}"

    @contextlib.contextmanager
    def _calls(self) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if self._conditional_failed(exc):
                raise
            raise StoreError(f"dynamodb://{self.table}: {code or exc}") from None
        except BotoCoreError as exc:
            raise StoreError(f"dynamodb://{self.table}: unreachable ({exc})") from None

    @staticmethod
    def _conditional_failed(exc: Exception) -> bool:
        """A condition did not hold: of a write, or of one action of a transaction."""
        response: dict[str, Any] = getattr(exc, "response", {})
        code = response.get("Error", {}).get("Code")
        if code == "ConditionalCheckFailedException":
            return True
        reasons = response.get("CancellationReasons") or []
        return code == "TransactionCanceledException" and any(
            r.get("Code") == "ConditionalCheckFailed" for r in reasons
        )

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
            raise StoreError(
                f"dynamodb://{self.table}: journal item {self.doc_key} is corrupt; it was not "
                "changed"
            ) from None

    def archive_key(self, seq: int) -> str:
        return f"{self.doc_key}#archive#{seq:06d}"

    def _check_size(self, item: dict[str, Any]) -> None:
        size = item_size(item)
        if size > ITEM_LIMIT:
            raise StoreError(
                f"dynamodb://{self.table}: journal not written: item {item['pk']['S']} would be "
                f"{size} bytes, over DynamoDB's limit of {ITEM_LIMIT}"
            )

    def _archive_item(self, seq: int, dep: Deployment) -> dict[str, Any]:
        item = {
            "pk": {"S": self.archive_key(seq)},
            "deployment_id": {"S": dep.id},
            "doc": {"S": dump_record(dep)},
        }
        self._check_size(item)
        return item

    def load_archive(self, doc: JournalDoc) -> list[Deployment]:
        """Archived deployments 0 .. ``doc.archived``-1, oldest first (for history views)."""
        found: dict[str, Deployment] = {}
        keys = [self.archive_key(seq) for seq in range(doc.archived)]
        for start in range(0, len(keys), 100):  # BatchGetItem reads up to 100 keys
            for item in self._batch_get(keys[start : start + 100]):
                try:
                    found[item["pk"]["S"]] = Deployment.model_validate_json(item["doc"]["S"])
                except (KeyError, ValidationError):
                    raise StoreError(
                        f"dynamodb://{self.table}: archive item {item['pk']['S']} is corrupt"
                    ) from None
        return [found[k] for k in keys if k in found]

    def _batch_get(self, keys: list[str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: Any = {self.table: {"Keys": [{"pk": {"S": k}} for k in keys]}}
        for _ in range(8):
            with self._calls():
                reply = self.client.batch_get_item(RequestItems=request)
            items += reply.get("Responses", {}).get(self.table, [])
            request = reply.get("UnprocessedKeys") or {}
            if not request:
                return items
        raise StoreError(f"dynamodb://{self.table}: the history archive is throttled; try again")

    def save(self, doc: JournalDoc) -> None:
        """Write the live item conditionally on its version; deployments that leave it are
        archived in the same transaction, so a record is written exactly when the live
        item that stops holding it is (a stale writer's archive record never lands)."""
        expected = doc.version
        plan = compact(doc)
        text = dump_journal(plan.live, expected + 1)
        live = {"pk": {"S": self.doc_key}, "version": {"N": str(expected + 1)}, "doc": {"S": text}}
        self._check_size(live)
        condition: dict[str, Any]
        if expected == 0:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expected)}},
            }
        archived = [
            self._archive_item(plan.first_seq + offset, dep)
            for offset, dep in enumerate(plan.evicted)
        ]
        if len(archived) >= MAX_TRANSACTION_ITEMS:
            raise StoreError(
                f"dynamodb://{self.table}: journal not written: {len(archived)} deployments "
                f"to archive at once, over DynamoDB's {MAX_TRANSACTION_ITEMS} per transaction"
            )
        try:
            with self._calls():
                if archived:
                    actions: list[Any] = [
                        {"Put": {"TableName": self.table, "Item": a}} for a in archived
                    ]
                    actions.append({"Put": {"TableName": self.table, "Item": live, **condition}})
                    self.client.transact_write_items(TransactItems=actions)
                else:
                    self.client.put_item(TableName=self.table, Item=live, **condition)
        except Exception as exc:
            if self._conditional_failed(exc):
                raise VersionConflict(
                    f"dynamodb://{self.table}: changed by another writer"
                ) from None
            raise
        doc.version = expected + 1
        plan.settle(doc)

    def lock_info(self) -> LockInfo | None:
        with self._calls():
            item = self.client.get_item(
                TableName=self.table, Key={"pk": {"S": self.lock_key}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        try:
            return LockInfo.model_validate(json.loads(item["lease"]["S"]))
        except (KeyError, TypeError, ValueError):  # ValueError: not JSON, or not a lease
            raise StoreError(
                f"dynamodb://{self.table}: lock item {self.lock_key} is corrupt; delete it "
                "if no zdd runs"
            ) from None

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
            gone = holder_gone(holder, now)
            if not (take_over and gone):
                raise LockHeld(held_message(holder, gone)) from None
            # Not expired, but provably dead (this host, its process gone): replace
            # exactly that holder, so a third run that took it meanwhile keeps it.
            self._replace_dead(info, holder)

    def _replace_dead(self, info: LockInfo, dead: LockInfo) -> None:
        try:
            self._put_lease(
                info,
                ConditionExpression="#o = :dead",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":dead": {"S": dead.owner}},
            )
        except Exception as exc:
            if not self._conditional_failed(exc):
                raise
            raise LockHeld("listener lock changed hands while acquiring; retry") from None

    def heartbeat(self, owner: Owner) -> None:
        holder = self.lock_info()
        if holder is None or holder.owner != owner.id:
            who = holder.describe() if holder else "nobody (the lock item was removed)"
            raise LeaseLost(f"lost the listener lock: it is held by {who}")
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
                raise LeaseLost("lost the listener lock: it changed hands") from None
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
