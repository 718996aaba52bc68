"""When the next poll is due: a fixed cadence, jittered, and slower while AWS throttles.

Fifty releases started by one merge poll on the same cadence: left alone their polls stay
aligned and reach AWS's per-account quotas (DescribeAlarms: 9 per second) in bursts. So
each interval is P·(1 - jitter·u), u a draw from the run's injected random source: never
longer than P, so an alarm is still read at most P after it fires. While a signal's last
read was refused for its rate (throttled), the interval backs off with "full jitter"
(AWS's advice): a draw between P and P·2^k after k throttled polls in a row, at most a
third of the grace period (never less than P); it returns to P at the first poll that was
not throttled.

Backing off never moves a deadline: the bake's end and the grace period are absolute
times, so a throttled signal stays unknown, is never taken for OK, and fails closed when
the grace period runs out, exactly as an unreadable one does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from generator.rollout.engine.context import RunContext
from generator.rollout.ports import Reading


@dataclass
class Cadence:
    poll: float
    jitter: float
    grace: float
    random: Callable[[], float]
    throttled_polls: int = 0  # throttled polls in a row

    @classmethod
    def of(cls, ctx: RunContext) -> Cadence:
        s = ctx.settings
        return cls(s.poll_seconds, s.poll_jitter, s.alarm_grace_seconds, ctx.random)

    def after(self, readings: Sequence[Reading]) -> float:
        """Seconds from the start of this poll to the start of the next one."""
        if any(r.throttled for r in readings):
            self.throttled_polls += 1
        else:
            self.throttled_polls = 0
        if self.throttled_polls:
            cap = max(self.poll, self.grace / 3)
            spread = 2.0**self.throttled_polls - 1.0
            return min(self.poll * (1.0 + spread * self.random()), cap)
        return self.poll * (1.0 - self.jitter * self.random())
