"""Timestamps zdd keeps (seconds since the epoch) and their safe conversion to dates.

A float can be finite and still outside what ``datetime`` represents (year 1 to
9999) or what the platform's ``gmtime`` accepts: converting it raises
OverflowError, OSError or ValueError. The journal refuses such values when it is
read (``in_range``); ``utc`` never raises, clamping to the range, for values that
reach formatting some other way.
"""

from __future__ import annotations

import datetime as dt
import math

EARLIEST = 0.0  # 1970-01-01: nothing zdd records happened before
LATEST = 253402300799.0  # 9999-12-31T23:59:59Z, the last second datetime represents
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def in_range(ts: float) -> bool:
    return math.isfinite(ts) and EARLIEST <= ts <= LATEST


def utc(ts: float) -> dt.datetime:
    """``ts`` as an aware UTC datetime, clamped to 1970..9999 (NaN is the epoch)."""
    clamped = EARLIEST if math.isnan(ts) else min(max(ts, EARLIEST), LATEST)
    # Arithmetic, not fromtimestamp: no platform gmtime, so no platform limits.
    return _EPOCH + dt.timedelta(seconds=clamped)
