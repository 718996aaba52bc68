"""Every journal a store holds (for `zdd warden`): which services and environments."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import InputError, StoreError
from generator.files import JOURNAL_FILE, read_capped

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Key = tuple[str, str]  # (service, environment)


def journals(url: str, *, dynamodb: Callable[[], DynamoDBClient] | None = None) -> list[Key]:
    """``(service, environment)`` of every journal in ``url``, sorted."""
    if url.startswith("dynamodb://"):
        if dynamodb is None:
            raise StoreError("a DynamoDB store needs AWS access")
        return _in_table(dynamodb(), url.removeprefix("dynamodb://"))
    return _in_directory(Path(url))


def _in_table(client: DynamoDBClient, table: str) -> list[Key]:
    from botocore.exceptions import BotoCoreError, ClientError

    found: set[Key] = set()
    args: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": "pk",
        "FilterExpression": "begins_with(pk, :j)",
        "ExpressionAttributeValues": {":j": {"S": "journal#"}},
    }
    try:
        while True:
            page = client.scan(**args)
            for item in page.get("Items", []):
                parts = item["pk"]["S"].split("#")
                if len(parts) == 3:  # journal#SERVICE#ENV; archive records have more parts
                    found.add((parts[1], parts[2]))
            if "LastEvaluatedKey" not in page:
                return sorted(found)
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    except (ClientError, BotoCoreError) as exc:
        raise StoreError(f"dynamodb://{table}: cannot list journals ({exc})") from None


def _in_directory(directory: Path) -> list[Key]:
    if not directory.is_dir():
        raise InputError(f"--store: {directory} is not a directory of journals")
    found: set[Key] = set()
    for path in sorted(directory.glob("*.json")):
        if path.name.endswith(".lock.json"):
            continue
        try:
            doc = json.loads(read_capped(path, JOURNAL_FILE, "journal"))
            found.add((str(doc["service"]), str(doc["environment"])))
        except (OSError, ValueError, KeyError, TypeError, InputError):
            continue  # not a journal (or unreadable): the store's own reads say why
    return sorted(found)
