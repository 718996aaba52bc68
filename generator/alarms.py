"""The rollback alarms of one colour, read in one DescribeAlarms call per poll.

States are filtered here, not with ``StateValue``: moto ignores ``StateValue``
when ``AlarmNames`` is also given, and zdd needs every alarm's state anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient


@dataclass(frozen=True)
class AlarmPoll:
    states: dict[str, str]  # name -> OK | ALARM | INSUFFICIENT_DATA
    reasons: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # asked for, not returned: unknown, fail closed

    @property
    def firing(self) -> list[str]:
        return sorted(n for n, s in self.states.items() if s == "ALARM")

    @property
    def insufficient(self) -> list[str]:
        return sorted(n for n, s in self.states.items() if s == "INSUFFICIENT_DATA")

    @property
    def all_ok(self) -> bool:
        return not self.missing and all(s == "OK" for s in self.states.values())

    def describe_firing(self) -> str:
        return "; ".join(f"{n}: {self.reasons.get(n, 'in ALARM')}" for n in self.firing)


class AlarmWatcher:
    def __init__(self, cloudwatch: CloudWatchClient, names: list[str]) -> None:
        if len(names) > 100:
            raise ValueError("DescribeAlarms takes at most 100 alarm names")
        self.cloudwatch = cloudwatch
        self.names = list(names)

    def poll(self) -> AlarmPoll:
        """Exactly one DescribeAlarms call; raises botocore errors when unreadable."""
        if not self.names:
            return AlarmPoll({})
        response = self.cloudwatch.describe_alarms(
            AlarmNames=self.names, AlarmTypes=["MetricAlarm"], MaxRecords=100
        )
        states: dict[str, str] = {}
        reasons: dict[str, str] = {}
        wanted = set(self.names)
        for alarm in response.get("MetricAlarms", []):
            name = alarm["AlarmName"]
            if name in wanted:
                states[name] = alarm["StateValue"]
                reasons[name] = alarm.get("StateReason", "")
        missing = tuple(n for n in self.names if n not in states)
        return AlarmPoll(states, reasons, missing)
