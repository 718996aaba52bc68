"""At exit, what is still queued for a slow webhook is delivered, within a bounded time:
the last event (the rollback, the promotion) is the one people need most."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from generator.events import Event
from generator.events.notify import WebhookSink


class SlowWebhook:
    """A webhook that answers each post only after a while (a slow chat service)."""

    def __init__(self, delay: float) -> None:
        self.kinds: list[str] = []
        received = self.kinds

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)  # the remote service, not the test, is slow
                received.append(json.loads(body)["zdd"]["kind"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def test_a_slow_webhook_still_gets_the_rollback_at_exit() -> None:
    hook = SlowWebhook(delay=0.05)
    try:
        # The flush lasts one timeout: room for 12 slow deliveries on a loaded machine.
        sink = WebhookSink([hook.url], timeout=5.0, kinds=["*"])
        kinds = [f"step.verified.{i}" for i in range(10)] + ["rollback.start", "rollback.done"]
        for kind in kinds:
            sink.emit(Event(kind, kind, 0.0, "error" if "rollback" in kind else "info"))
        sink.close()  # delivery is off the critical path until here
        assert hook.kinds == kinds
    finally:
        hook.server.shutdown()
