"""The journal in DynamoDB: two items of one table, written conditionally, for shared runners."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from generator.errors import LeaseLost, LockHeld, StoreError
from generator.journal.model import JournalDoc, LockInfo, dump_journal
from generator.journal.protocol import (
    DEFAULT_LEASE_SECONDS,
    Owner,
    VersionConflict,
    held_message,
    holder_gone,
    new_lease,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


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
            raise StoreError(
                f"dynamodb://{self.table}: journal item {self.doc_key} is corrupt; it was not "
                "changed"
            ) from None

    def save(self, doc: JournalDoc) -> None:
        expected = doc.version
        text = dump_journal(doc, expected + 1)
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
                        "doc": {"S": text},
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
            raise LockHeld(held_message(holder, holder_gone(holder, now))) from None

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
