"""A throttling proxy for benchmarks and tests: AWS's per-account, per-action request
quotas in front of ``moto_server``, which has none.

Each (account and region, action) pair has a token bucket (AWS throttles this way: a
bucket of ``burst`` tokens refilled at ``rate`` per second; one call takes one token). A
call that finds its bucket empty is answered the way AWS answers it, without reaching the
emulator: HTTP 400 with the service's own throttling code (query XML ``<ErrorResponse>``
for ELBv2, RPC v2 CBOR for CloudWatch as botocore 1.4x speaks it, JSON for ECS and
DynamoDB). Actions not in the table pass unthrottled.

The figures in ``QUOTAS`` are AWS's defaults as its documentation gives them (the
sources are in benchmarks/README.md); ``confirmed=False`` marks a figure that could not
be read from the documentation, where a conservative one stands in. ``scale`` divides
them (a benchmark process standing for several releases shares a smaller quota).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from tests.support.faults import Fault, FaultProxy, Hold


@dataclass(frozen=True)
class Quota:
    """AWS's default request quota for one action, per account and region."""

    service: str
    action: str
    rate: float  # tokens added per second: the sustained rate
    burst: float  # bucket capacity: the most calls in any one second
    code: str  # the error code AWS throttles with
    confirmed: bool  # False: not read from AWS's documentation; a conservative stand-in
    bucket: str = ""  # actions sharing one bucket name it alike; default: the action's own

    @property
    def name(self) -> str:
        return self.bucket or self.action

    def scaled(self, divisor: float, burst_divisor: float | None = None) -> Quota:
        """The quota's share: its rate divided by ``divisor``, its burst by
        ``burst_divisor`` (default the same)."""
        burst = self.burst / (divisor if burst_divisor is None else burst_divisor)
        return replace(self, rate=self.rate / divisor, burst=burst)


def _quotas(
    service: str,
    actions: Iterable[str],
    rate: float,
    burst: float,
    code: str,
    confirmed: bool,
    bucket: str = "",
) -> list[Quota]:
    return [Quota(service, a, rate, burst, code, confirmed, bucket) for a in actions]


QUOTAS: dict[str, Quota] = {
    q.action: q
    for q in [
        # CloudWatch service quotas: DescribeAlarms 9 TPS, GetMetricData 50 TPS (a TPS
        # quota: the bucket holds one second's worth).
        *_quotas("cloudwatch", ["DescribeAlarms"], 9, 9, "Throttling", True),
        *_quotas("cloudwatch", ["GetMetricData"], 50, 50, "Throttling", True),
        # ELB API throttling: one bucket for non-mutating (Describe*) requests, 40 tokens
        # refilled at 10 per second.
        *_quotas(
            "elbv2",
            ["DescribeListeners", "DescribeRules", "DescribeTargetHealth"],
            10,
            40,
            "ThrottlingException",
            True,
            "elbv2 Describe*",
        ),
        # Mutating ELB actions: no figure could be read here; a conservative one bucket.
        *_quotas(
            "elbv2",
            ["ModifyListener", "ModifyRule"],
            2,
            10,
            "ThrottlingException",
            False,
            "elbv2 Modify*",
        ),
        # ECS: the documented example is a read bucket of 50 (DescribeClusters); the
        # per-action rows could not be read here, so reads get 50 burst and 20 per second.
        *_quotas(
            "ecs",
            ["DescribeServices", "ListTasks", "DescribeTasks"],
            20,
            50,
            "ThrottlingException",
            False,
        ),
        # DynamoDB (the journal store): on-demand tables have no per-call rate quota, only
        # throughput; a conservative 100 calls per second per action stands in.
        *_quotas(
            "dynamodb",
            ["GetItem", "PutItem", "UpdateItem", "DeleteItem"],
            100,
            100,
            "ProvisionedThroughputExceededException",
            False,
        ),
    ]
}


class TokenBucket:
    """``burst`` tokens, refilled continuously at ``rate`` per second of ``now``."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Throttle:
    """The buckets of every (account, quota), and what passed and what was refused, by
    action (``throttled``, ``calls``) and by quota (``admitted``, ``peak_rate``)."""

    def __init__(
        self,
        quotas: Mapping[str, Quota] | None = None,
        *,
        scale: float | Mapping[str, float] = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        base = QUOTAS if quotas is None else quotas
        self.quotas = {
            action: q.scaled(scale if isinstance(scale, float | int) else scale.get(action, 1.0))
            for action, q in base.items()
        }
        self.clock = clock
        self.buckets: dict[tuple[str, str], TokenBucket] = {}
        self.admitted: dict[str, deque[float]] = {}
        self.throttled: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def admit(self, account: str, action: str) -> bool:
        """Take a token for one call; False when AWS would throttle it."""
        with self._lock:
            now = self.clock()
            self.calls[action] += 1
            quota = self.quotas.get(action)
            if quota is None:
                return True
            key = (account, quota.name)
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = TokenBucket(quota.rate, quota.burst, now)
            if not bucket.take(now):
                self.throttled[action] += 1
                return False
            self.admitted.setdefault(quota.name, deque()).append(now)
            return True

    def rate_of(self, name: str) -> float:
        """The sustained rate of the quota called ``name``."""
        return next(q.rate for q in self.quotas.values() if q.name == name)

    def peak_rate(self, name: str, window: float = 1.0) -> float:
        """The most calls admitted under quota ``name`` in any ``window`` seconds, per
        second (account-wide)."""
        times = sorted(self.admitted.get(name, ()))
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best / window

    def reset(self) -> None:
        with self._lock:
            self.buckets.clear()
            self.admitted.clear()
            self.throttled.clear()
            self.calls.clear()


class ThrottleProxy(FaultProxy):
    """The fault proxy, plus AWS's quotas: a call over its quota is refused with the
    service's throttling error, without reaching the emulator."""

    def __init__(self, upstream: str, throttle: Throttle) -> None:
        super().__init__(upstream)
        self.throttle = throttle

    def __enter__(self) -> ThrottleProxy:
        self.start()
        return self

    def _decide(self, operation: str, account: str = "") -> tuple[Fault | None, Hold | None]:
        fault, hold = super()._decide(operation, account)
        if fault is None and not self.throttle.admit(account, operation):
            quota = self.throttle.quotas[operation]
            fault = Fault(operation, "throttle", code=quota.code)
        return fault, hold
