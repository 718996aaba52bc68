"""A webhook that never answers cannot hold zdd's exit: each delivery has a deadline on
the whole call, and the exit flush gives up after one delivery timeout in all, for all
notifiers at once, and says so (issue 24, class 5)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from generator.events import Event, EventBus
from generator.events.notify import WebhookSink
from tests.support.slow_servers import SilentServer, TrickleServer


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


def _events() -> list[Event]:
    kinds = ["deployment.start", "step.verified", "rollback.start", "rollback.done"]
    return [Event(kind, kind, 0.0, "error" if "rollback" in kind else "info") for kind in kinds]


def test_the_exit_flush_gives_up_on_a_webhook_that_never_answers(silent: SilentServer) -> None:
    warnings: list[str] = []
    sink = WebhookSink([silent.url], timeout=0.3, kinds=["*"], warn=warnings.append)
    for event in _events():
        sink.emit(event)
    sink.close()
    report = sink.delivery_report()
    assert report.sent == 0
    assert report.failed + report.dropped == 4  # every event is accounted for
    assert report.dropped >= 1  # not waited for one timeout each
    assert any("flush gave up after 0.3s" in w and "not delivered" in w for w in warnings)


def test_a_reply_that_trickles_in_fails_the_delivery() -> None:
    server = TrickleServer(seconds=1.5, interval=0.05)
    warnings: list[str] = []
    try:
        sink = WebhookSink([server.url + "/"], timeout=0.3, kinds=["*"], warn=warnings.append)
        sink.emit(_events()[0])
        sink.close()
    finally:
        server.close()
    report = sink.delivery_report()
    assert report.sent == 0 and report.failed + report.dropped == 1
    assert any("deadline exceeded" in w or "gave up" in w for w in warnings)


class _Recording(WebhookSink):
    log: list[str]

    def begin_close(self) -> None:
        self.log.append(f"begin {self.targets[0][-4:]}")
        super().begin_close()

    def close(self) -> None:
        self.log.append(f"close {self.targets[0][-4:]}")
        super().close()


def test_every_notifiers_flush_starts_before_any_is_waited_for(silent: SilentServer) -> None:
    log: list[str] = []
    sinks = []
    for path in ("/aaa", "/bbb"):
        sink = _Recording([silent.url + path], timeout=0.3, kinds=["*"], warn=lambda _: None)
        sink.log = log
        sink.emit(_events()[-1])
        sinks.append(sink)
    EventBus(sinks).close()
    assert log[:2] == ["begin /aaa", "begin /bbb"]
    assert all(s.delivery_report().sent == 0 for s in sinks)


class _Instant(WebhookSink):
    """Delivers instantly (no network): what matters is how the thread ends."""

    def deliver(self, target: str, event: Event, body: dict[str, object]) -> None:
        return None


def test_a_full_queue_at_close_still_ends_the_thread_without_a_false_warning() -> None:
    warnings: list[str] = []
    sink = _Instant(["http://127.0.0.1:9/"], timeout=2.0, kinds=["*"], warn=warnings.append)
    gate = threading.Event()
    sink.deliver = lambda target, event, body: gate.wait(5)  # type: ignore[method-assign]
    first = Event("deployment.start", "x", 0.0, "info")
    sink.emit(first)  # taken by the thread, which waits on the gate
    while sink._queue.qsize():  # until the thread holds it
        time.sleep(0.001)
    for _ in range(sink._queue.maxsize):
        sink.emit(Event("step.verified", "x", 0.0, "info"))  # the queue is now full
    threading.Timer(0.05, gate.set).start()
    sink.close()  # the end-of-queue marker did not fit
    assert not sink._thread.is_alive()
    assert sink.delivery_report().sent == 1 + sink._queue.maxsize
    assert warnings == []
