"""How big the journal may grow: every size budget in one place.

DynamoDB refuses an item over 400 KB, counting the UTF-8 bytes of every attribute
name and value. A journal past that limit cannot be written at all: every release
fails "journal unwritable", and abort and resume are stuck. So the live document
is bounded whatever the history's length and whatever one deployment carries:

* each deployment record is held to ``DEPLOYMENT_BUDGET`` bytes of JSON (its
  events keep the first and the last ones with a marker counting the rest; long
  texts keep their start with a marker);
* the live document keeps the current deployment, the ``INLINE_HISTORY`` most
  recent finished ones and the last promoted one; older deployments move to
  archive records of their own, which only history views read;
* whatever else the document holds, ``LIVE_BUDGET`` bytes is the most it grows
  to before more history is archived and the oldest refusals are dropped.

Worst case inside the budgets: (1 current + 5 inline + 1 last promoted) x 24,000
= 168,000 bytes of deployments, 100 refusals x ~800 = 80,000, 200 capacity
changes x ~300 = 60,000: about 308,000 bytes, under ``LIVE_BUDGET``.
"""

from __future__ import annotations

ITEM_LIMIT = 400_000  # DynamoDB's "400 KB" item limit, read conservatively (names + values, UTF-8)
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems: at most 100 actions (and 4 MB)
LIVE_BUDGET = 320_000  # bytes of the live document's JSON; the rest is headroom for the key etc.
DEPLOYMENT_BUDGET = 24_000  # bytes of one deployment record's JSON
INLINE_HISTORY = 5  # finished deployments kept in the live document (plus the last promoted)
EVENTS_HEAD = 20  # a deployment keeps its first events (how it started) ...
EVENTS_TAIL = 100  # ... and its last ones (how it ended); a marker counts the others
TEXT_LIMIT = 2_000  # characters of one event message, reason or verdict detail
REFUSAL_TEXT_LIMIT = 500  # characters of one refusal's reason (there are up to 100)
DATA_LIMIT = 2_000  # bytes of one event's data as JSON
DATA_VALUE_LIMIT = 500  # characters kept of one data value too big for DATA_LIMIT
SPEC_CHANGES_KEPT = 20  # lines of a release's spec diff kept in its record (then a count)
SPEC_CHANGE_TEXT = 160  # characters of one spec diff line
REFUSALS_KEPT = 100  # refusals kept (an audit log; older ones are dropped)
SERIES_LIMIT = 30  # periods of a verdict's per-period numbers kept (the last ones)
HANDOFF_LIMIT = 6_000  # bytes of a deployment's hand-off record (stack outputs, strategy, notify)
TRUNCATED_KIND = "journal.truncated"  # the kind of the event that counts dropped events


def clip_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, saying how many were dropped.

    Clipping a clipped text changes nothing, so rewriting a journal is stable.
    """
    if len(text) <= limit:
        return text
    keep = max(limit - 64, 0)
    return text[:keep] + f" …[{len(text) - keep} characters cut: journal size budget]"
