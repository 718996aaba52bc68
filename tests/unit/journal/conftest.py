"""Both stores, for the journal's suites: a directory, and a DynamoDB table on moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from generator.journal.dynamo import DynamoStore
from generator.journal.local import LocalStore


def create_table(client: object, name: str = "zdd") -> None:
    client.create_table(  # type: ignore[attr-defined]
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture(params=["local", "dynamodb"])
def any_store(request, tmp_path: Path) -> Iterator[Callable[[], LocalStore | DynamoStore]]:
    """A factory of stores of one journal (each call: another process's view of it)."""
    if request.param == "local":
        yield lambda: LocalStore(tmp_path, "shop", "staging")
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_table(client)
        yield lambda: DynamoStore(client, "zdd", "shop", "staging")
