"""The test suite's fault proxy: local only, and it reads operations as the SDK writes them."""

from __future__ import annotations

import pytest

from tests.support.faults import Fault, FaultProxy, operation_of


def test_it_listens_on_loopback_and_only_talks_to_a_local_emulator() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        FaultProxy("http://10.1.2.3:5000")
    with FaultProxy("http://127.0.0.1:9") as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")


def test_operations_are_read_from_each_protocol() -> None:
    assert operation_of("/", {"x-amz-target": "DynamoDB_20120810.PutItem"}, b"{}") == "PutItem"
    assert (
        operation_of("/service/GraniteServiceVersion20100801/operation/DescribeAlarms", {}, b"")
        == "DescribeAlarms"
    )
    assert operation_of("/", {}, b"Action=ModifyListener&Version=2015-12-01") == "ModifyListener"


def test_a_fault_hits_the_nth_call_and_the_ones_after_it() -> None:
    fault = Fault("ModifyListener", "drop_reply", nth=2, times=2)
    hits = [
        fault.hits(op) for op in ["ModifyListener", "DescribeListeners", *["ModifyListener"] * 3]
    ]
    assert hits == [False, False, True, True, False]
