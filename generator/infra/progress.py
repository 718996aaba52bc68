"""What a running terraform is doing, read from its human output as it streams.

Terraform says when it starts and finishes each resource ("aws_lb.this: Creating...",
"aws_lb.this: Creation complete after 2m3s [id=...]"), and every ten seconds that one is
"Still creating... [1m0s elapsed]". ``Progress`` keeps the resources in progress, so a
long run can say what it waits for (heartbeats) and a run that exceeds its time limit can
name the resource it was stuck on. ``summary_lines`` is the short version of the output:
what the plan will do, its totals and the apply's result.

Only ``re`` is imported: every process that wraps terraform imports this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_STARTED = re.compile(
    r"^(?P<address>\S+): (?P<verb>Creating|Modifying|Destroying|Reading)\.\.\.(?: |$)"
)
_STILL = re.compile(r"^(?P<address>\S+): Still (?P<verb>creating|modifying|destroying|reading)")
_DONE = re.compile(
    r"^(?P<address>\S+): (?:Creation|Modifications|Destruction|Read) complete"
    r"|^(?P<failed>\S+): (?:Creation|Modification|Destruction) errored"
)
_SUMMARY = re.compile(
    r"^(?:Plan: |No changes\.|Apply complete!|Destroy complete!|Changes to Outputs:"
    r"|  # \S+ (?:will|must) be |zdd: )"
)


def summary_line(line: str) -> bool:
    """Whether ``line`` of terraform's output belongs in its short summary."""
    return bool(_SUMMARY.match(line))


def duration(seconds: float) -> str:
    """``1h02m03s``, ``4m10s``, ``7s``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    """The resources a terraform run has started and not yet finished, oldest first."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.active: dict[str, tuple[str, float]] = {}  # address -> (verb, since)

    def see(self, line: str) -> None:
        started = _STARTED.match(line)
        if started:
            verb = started["verb"].lower()
            self.active[started["address"]] = (verb, self.clock())
            return
        still = _STILL.match(line)
        if still and still["address"] not in self.active:  # began before zdd read along
            self.active[still["address"]] = (still["verb"], self.clock())
            return
        done = _DONE.match(line)
        if done:
            self.active.pop(done["address"] or done["failed"], None)

    def describe(self, limit: int = 3) -> str:
        """``creating module.alb.aws_lb.this (4m10s), ...`` or ``""`` when none is active."""
        now = self.clock()
        oldest = sorted(self.active.items(), key=lambda item: item[1][1])
        parts = [f"{verb} {address} ({duration(now - since)})" for address, (verb, since) in oldest]
        more = len(parts) - limit
        return ", ".join(parts[:limit]) + (f" and {more} more" if more > 0 else "")
