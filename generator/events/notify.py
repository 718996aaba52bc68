"""Notifications people can act on: webhooks (Slack-compatible), SNS and EventBridge.

Each notifier posts from a background thread: a slow or failing target never
delays or blocks a rollback. Events are queued without waiting (dropped and
counted when the queue is full), each delivery has a deadline on the whole call
(DNS, connect, send, read), the first failure of each target is logged once, and
every failure is counted for the run's summary. At exit the flush is bounded by one
delivery timeout in all, for every notifier at once: zdd exits within about one
delivery timeout of its outcome, and says what it gave up on.
Only the events people act on are sent; the filter is configurable
(``webhooks.events`` in the environment file, shell-style patterns).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import queue
import sys
import threading
import time
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from generator.deadline import DeadlineExceeded, call_within, read_within, remaining
from generator.events.address_guard import guarded_opener
from generator.events.core import DeliveryReport, Event, Origin
from generator.events.links import render_link
from generator.events.text import iso, jsonable

# start, each step, gate waiting, promoted, rolled back, refused
DEFAULT_EVENTS: tuple[str, ...] = (
    "deployment.start",
    "step.verified",
    "gate.waiting",
    "deployment.promoted",
    "rollback.done",
    "deployment.refused",
)
PAYLOAD_VERSION = 1
MAX_REPLY = 64 * 1024  # of a webhook's answer, read and dropped
Warn = Callable[[str], None]


def wants(kind: str, patterns: Sequence[str] | None) -> bool:
    """Whether an event of ``kind`` passes the filter (None: the default set)."""
    chosen = DEFAULT_EVENTS if patterns is None else patterns
    return any(fnmatch.fnmatchcase(kind, p) for p in chosen)


def link_for(template: str | None, event: Event, origin: Origin) -> str | None:
    """The deployment's link from a template such as ``https://ci/runs?zdd={deployment_id}``."""
    if not template or event.deployment is None:
        return None
    values = {
        "deployment_id": urllib.parse.quote(event.deployment.id),
        "service": urllib.parse.quote(origin.service),
        "environment": urllib.parse.quote(origin.environment),
    }
    try:
        return render_link(template, values)
    except ValueError:
        return None  # checked at load; a template built in code is not trusted either


def payload(event: Event, origin: Origin, link_template: str | None = None) -> dict[str, Any]:
    """The structured body: the same fields whatever the target, under ``zdd``."""
    snap = event.deployment
    data = jsonable(event.data)
    body: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "kind": event.kind,
        "level": event.level,
        "message": event.message,
        "at": iso(event.at),
        "service": origin.service,
        "environment": origin.environment,
        "deployment_id": snap.id if snap else data.get("deployment_id"),
        "release": snap.release if snap else data.get("release"),
        "from_colour": snap.from_colour if snap else data.get("from_colour"),
        "to_colour": snap.to_colour if snap else data.get("to_colour"),
        "weights": dict(snap.weights) if snap else data.get("weights"),
        "step": snap.step if snap else None,
        "steps": snap.steps if snap else None,
        "status": snap.status if snap else None,
        "actor": snap.actor if snap else data.get("actor"),
        "ci_url": snap.ci_url if snap else data.get("ci_url"),
        "url": link_for(link_template, event, origin),
        "data": data,
    }
    return body


EMOJI = {"success": ":large_green_circle:", "error": ":red_circle:", "warning": ":warning:"}


def slack_text(body: dict[str, Any]) -> str:
    """One line in Slack's mrkdwn: where, what, which release, the weights, which deployment."""
    where = f"*{body['service']}/{body['environment']}*" if body["service"] else "*zdd*"
    parts = [f"{EMOJI.get(body['level'], ':large_blue_circle:')} {where}"]
    if body["release"]:
        parts.append(f"release `{body['release']}`")
    if body["from_colour"] and body["to_colour"]:
        parts.append(f"{body['from_colour']} → {body['to_colour']}")
    if body["steps"]:
        parts.append(f"step {body['step']}/{body['steps']}")
    text = " · ".join(parts) + f": {body['message']}"
    weights = body["weights"]
    if isinstance(weights, dict) and body["kind"] != "step.verified":
        text += " (" + " / ".join(f"{c} {w}%" for c, w in sorted(weights.items())) + ")"
    if body["deployment_id"]:
        dep = body["deployment_id"]
        text += f" · deployment <{body['url']}|{dep}>" if body["url"] else f" · deployment `{dep}`"
    return text


def redact(url: str) -> str:
    """A webhook URL is a secret (Slack's carry the token in the path): show its host only."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…"


class Notifier(ABC):
    """Delivers chosen events to some targets from one background thread."""

    kind_of_target = "notification"

    def __init__(
        self,
        targets: Sequence[str],
        *,
        origin: Origin | None = None,
        kinds: Sequence[str] | None = None,
        timeout: float = 5.0,
        link_template: str | None = None,
        warn: Warn | None = None,
    ) -> None:
        self.targets = list(targets)
        self.origin = origin or Origin()
        self.kinds = list(kinds) if kinds is not None else None
        self.timeout = timeout
        self.link_template = link_template
        self.warn: Warn = warn or _stderr
        self.report = DeliveryReport()
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._queue: queue.Queue[Event | None] = queue.Queue(maxsize=256)
        self._flush_deadline: float | None = None  # set once closing: monotonic
        self._given_up = 0  # events still queued when the flush ran out of time
        self._thread = threading.Thread(target=self._run, name="zdd-notify", daemon=True)
        self._thread.start()

    @property
    def failures(self) -> int:
        return self.report.failed + self.report.dropped

    def emit(self, event: Event) -> None:
        if event.is_progress or not wants(event.kind, self.kinds):
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._lock:
                self.report.dropped += 1

    @abstractmethod
    def deliver(self, target: str, event: Event, body: dict[str, Any]) -> None:
        """Send one event to one target; raise on failure (counted, logged once)."""

    def describe_target(self, target: str) -> str:
        return target

    def _run(self) -> None:
        while True:
            try:
                # While closing, never block past the flush: the end-of-queue marker may
                # not have fitted in a full queue.
                event = self._queue.get(timeout=None if self._flush_deadline is None else 0.1)
            except queue.Empty:
                if self._flush_deadline is not None:
                    return  # closing, and everything queued was handled
                continue
            if event is None:
                return
            if self._out_of_time():
                self._give_up(event)
                return
            body = payload(event, self.origin, self.link_template)
            for target in self.targets:
                try:
                    self._deliver_within(target, event, body)
                except Exception as exc:
                    self._failed(target, exc)
                else:
                    with self._lock:
                        self.report.sent += 1

    def _budget(self) -> float:
        """One delivery's wall-clock budget: the timeout, and never past the flush."""
        if self._flush_deadline is None:
            return self.timeout
        return min(self.timeout, self._flush_deadline - time.monotonic())

    def _deliver_within(self, target: str, event: Event, body: dict[str, Any]) -> None:
        """``deliver``, abandoned at its deadline whatever it waits for (DNS, a client's
        retries): the deadline covers the whole call."""
        budget = self._budget()
        if budget <= 0:
            raise DeadlineExceeded(self.timeout)
        call_within(lambda: self.deliver(target, event, body), budget, name="zdd-deliver")

    def _out_of_time(self) -> bool:
        return self._flush_deadline is not None and time.monotonic() >= self._flush_deadline

    def _give_up(self, first: Event) -> None:
        """The flush ran out of time: count what is left (``first`` and the queue)."""
        left = 1
        with contextlib.suppress(queue.Empty):
            while True:
                if self._queue.get_nowait() is not None:
                    left += 1
        with self._lock:
            self._given_up += left * len(self.targets)
            self.report.dropped += left * len(self.targets)

    def _failed(self, target: str, exc: Exception) -> None:
        shown = self.describe_target(target)
        with self._lock:
            self.report.failed += 1
            if shown not in self.report.failed_targets:
                self.report.failed_targets.append(shown)
            first = target not in self._warned
            self._warned.add(target)
        if first:  # once per target; the summary counts the rest
            self.warn(
                f"zdd: {self.kind_of_target} to {shown} failed ({_reason(exc)}); "
                "further failures of this target are counted in the summary"
            )

    def delivery_report(self) -> DeliveryReport:
        with self._lock:
            return DeliveryReport(
                self.report.sent,
                self.report.failed,
                self.report.dropped,
                list(self.report.failed_targets),
            )

    @property
    def flush_seconds(self) -> float:
        """At exit: how long what is still queued may take, in all (one delivery timeout)."""
        return self.timeout

    def begin_close(self) -> None:
        """Start the flush: from now on, at most ``flush_seconds`` in all. ``EventBus``
        starts every notifier's flush before waiting for any, so they overlap."""
        if self._flush_deadline is not None:
            return
        self._flush_deadline = time.monotonic() + self.flush_seconds
        with contextlib.suppress(queue.Full):  # full: the deadline ends the thread anyway
            self._queue.put_nowait(None)

    def close(self) -> None:
        """Deliver what is queued (the rollback or promotion is usually last) until the
        flush deadline; a slow target never holds zdd's exit longer. Say what was lost."""
        self.begin_close()
        assert self._flush_deadline is not None
        try:
            left = remaining(self._flush_deadline, self.flush_seconds)
        except DeadlineExceeded:
            left = 0.0
        self._thread.join(left + 0.2)  # the thread itself stops at the deadline
        with self._lock:
            lost = self._given_up
        if lost or self._thread.is_alive():
            self.warn(
                f"zdd: {self.kind_of_target} flush gave up after {self.flush_seconds:g}s: "
                f"{lost} notification(s) not delivered"
            )


class WebhookSink(Notifier):
    """POSTs ``{"text": ..., "zdd": {...}}``: Slack shows the text, tools read ``zdd``."""

    kind_of_target = "webhook"

    def deliver(self, target: str, event: Event, body: dict[str, Any]) -> None:
        data = json.dumps({"text": slack_text(body), "zdd": body}).encode()
        _post(target, data, self.timeout)

    def describe_target(self, target: str) -> str:
        return redact(target)


def _post(url: str, data: bytes, seconds: float) -> None:
    """POST ``data`` as JSON to an allowed address, with a deadline of ``seconds`` on
    connect, send and the whole reply (a reply that trickles in fails)."""
    deadline = time.monotonic() + seconds
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    # Only to allowed addresses, checked after DNS; no redirects (events.address_guard).
    with guarded_opener().open(request, timeout=remaining(deadline, seconds)) as response:
        read_within(response, deadline, seconds, MAX_REPLY)


class SnsClient(Protocol):
    def publish(self, **kwargs: Any) -> Any: ...


class EventBridgeClient(Protocol):
    def put_events(self, **kwargs: Any) -> Any: ...


class SnsSink(Notifier):
    """Publishes the structured body to SNS topics, with ``kind`` as a message attribute."""

    kind_of_target = "SNS publish"

    def __init__(self, client: SnsClient, topic_arns: Sequence[str], **kwargs: Any) -> None:
        self.client = client
        super().__init__(topic_arns, **kwargs)

    def deliver(self, target: str, event: Event, body: dict[str, Any]) -> None:
        where = self.origin.label() or "zdd"
        self.client.publish(
            TopicArn=target,
            Subject=f"zdd {where}: {event.kind}"[:100],
            Message=json.dumps({"text": slack_text(body), "zdd": body}),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": event.kind},
                "level": {"DataType": "String", "StringValue": event.level},
            },
        )


class EventBridgeSink(Notifier):
    """``PutEvents`` on event buses: source ``zdd``, detail-type ``zdd KIND``, detail the body."""

    kind_of_target = "EventBridge PutEvents"
    SOURCE = "zdd"

    def __init__(self, client: EventBridgeClient, buses: Sequence[str], **kwargs: Any) -> None:
        self.client = client
        super().__init__(buses, **kwargs)

    def deliver(self, target: str, event: Event, body: dict[str, Any]) -> None:
        answer = self.client.put_events(
            Entries=[
                {
                    "Source": self.SOURCE,
                    "DetailType": f"zdd {event.kind}",
                    "Detail": json.dumps(body),
                    "EventBusName": target,
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            entry = answer.get("Entries", [{}])[0]
            raise RuntimeError(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")


def _reason(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return f"HTTP {code}"
    text = str(getattr(exc, "reason", None) or exc)
    return text[:200] or type(exc).__name__


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
