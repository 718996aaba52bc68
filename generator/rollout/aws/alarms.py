"""CloudWatch alarms: the rollback alarms of each colour, as a health signal.

Alarm states are filtered here, not with ``StateValue``: moto ignores
``StateValue`` when ``AlarmNames`` is also given, and zdd needs every state anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from generator.aws import aws_errors, is_throttling
from generator.colours import Colour
from generator.rollout.ports import BOTH_PHASES, Reading

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
    """The alarms of one colour, read in exactly one DescribeAlarms call per poll."""

    def __init__(self, cloudwatch: CloudWatchClient, names: list[str]) -> None:
        if len(names) > 100:
            raise ValueError("DescribeAlarms takes at most 100 alarm names")
        self.cloudwatch = cloudwatch
        self.names = list(names)

    def poll(self) -> AlarmPoll:
        """Raises botocore errors when unreadable."""
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


class CloudWatchAlarms:
    """The rollback alarms of each colour: ALARM fires, INSUFFICIENT_DATA is unknown."""

    name = "alarms"
    phases = BOTH_PHASES

    def __init__(
        self,
        cloudwatch: CloudWatchClient,
        alarm_names: dict[Colour, list[str]],
        *,
        allow_unwatched: bool = False,
    ):
        self.watchers = {c: AlarmWatcher(cloudwatch, names) for c, names in alarm_names.items()}
        self.allow_unwatched = allow_unwatched

    def poll(self, colour: Colour) -> Reading:
        if not self.watchers[colour].names and not self.allow_unwatched:
            # No alarm is not "all alarms OK": nothing would notice a bad release.
            return Reading(
                self.name,
                "firing",
                f"{colour} has no rollback alarms in the stack outputs, so nothing would "
                "watch it; set strategy.allow_unwatched: true to release it anyway",
            )
        try:
            poll = self.watchers[colour].poll()
        except aws_errors() as exc:
            detail = f"alarm state unreadable ({exc})"
            return Reading(self.name, "unknown", detail, throttled=is_throttling(exc))
        checks = {**poll.states, **dict.fromkeys(poll.missing, "MISSING")}
        if poll.firing:
            detail = f"alarm fired: {poll.describe_firing()}"
            return Reading(self.name, "firing", detail, checks)
        if not poll.all_ok:
            waiting = ", ".join(poll.insufficient + list(poll.missing))
            detail = f"alarms INSUFFICIENT_DATA or missing ({waiting})"
            return Reading(self.name, "unknown", detail, checks)
        return Reading(self.name, "ok", "alarms OK", checks)
