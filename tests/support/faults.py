"""An HTTP fault proxy for tests: it stands between boto3 and ``moto_server`` and, per
AWS operation, loses replies, delays them, resets connections, answers 5xx or
throttles.

Point a client's ``endpoint_url`` at ``FaultProxy.url``; every request is forwarded
to the upstream emulator unless a fault armed for its operation says otherwise. The
operation is read the way the SDK writes it: ``Action=`` of a query request (ELBv2),
``X-Amz-Target`` of a JSON request (DynamoDB), ``/operation/NAME`` of an RPC v2 CBOR
request (CloudWatch). It listens on 127.0.0.1 only.

Fault kinds:

* ``drop_reply``: forward, then close the connection without answering: the call
  happened, the caller cannot know (a lost reply, a read timeout);
* ``delay``: forward, then answer after ``delay`` seconds (a caller with a shorter
  read timeout gives up on a call that happened);
* ``reset``: reset the connection before forwarding: the call did not happen;
* ``error_5xx``: answer 503 without forwarding;
* ``throttle``: answer a throttling error without forwarding.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

FaultKind = Literal["drop_reply", "delay", "reset", "error_5xx", "throttle"]
FAULT_KINDS: tuple[FaultKind, ...] = ("drop_reply", "delay", "reset", "error_5xx", "throttle")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


@dataclass
class Fault:
    """Hit the ``nth`` call (1-based, counted from arming) of ``operation`` and the
    ``times - 1`` calls after it; ``operation`` ``*`` matches every call."""

    operation: str
    kind: FaultKind
    nth: int = 1
    times: int = 1
    delay: float = 0.5
    seen: int = 0
    code: str | None = (
        None  # the error code of an ``error_5xx``/``throttle`` (default: per protocol)
    )

    def hits(self, operation: str) -> bool:
        if self.operation not in ("*", operation):
            return False
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times


@dataclass
class Hold:
    """Keep one call of ``operation`` in flight until ``release()``: a test acts meanwhile
    (sends a signal to the caller, say) knowing exactly where the caller is.

    With ``applied``, the call is forwarded first and its reply held (AWS did it; the
    caller does not know yet); otherwise the call itself waits. ``release(reply=False)``
    then resets the connection instead of answering.
    """

    operation: str
    nth: int = 1
    applied: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    reply: bool = True
    seen: int = 0

    def release(self, *, reply: bool = True) -> None:
        self.reply = reply
        self.released.set()


def operation_of(path: str, headers: dict[str, str], body: bytes) -> str:
    """The AWS operation a request calls, as the SDK encodes it."""
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[1].split("?")[0]
    if body and b"Action=" in body:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if form.get("Action"):
            return form["Action"][0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    return query.get("Action", ["?"])[0]


def account_of(headers: dict[str, str]) -> str:
    """``ACCESS_KEY/REGION`` from a SigV4 ``Authorization`` header ("" when unsigned): AWS
    keeps its quotas per account and region."""
    auth = headers.get("authorization", "")
    if "Credential=" not in auth:
        return ""
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return f"{scope[0]}/{scope[2]}" if len(scope) > 2 else scope[0]


def _cbor_text(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) < 24:
        return bytes([0x60 | len(data)]) + data
    if len(data) < 256:
        return bytes([0x78, len(data)]) + data
    return bytes([0x79]) + struct.pack(">H", len(data)) + data


def _cbor_map(values: dict[str, str]) -> bytes:
    out = bytes([0xA0 | len(values)])
    for key, value in values.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out


def error_reply(headers: dict[str, str], code: str, status: int) -> tuple[bytes, dict[str, str]]:
    """An error body in the caller's protocol (query XML, JSON or CBOR)."""
    message = f"injected by the zdd fault proxy: {code}"
    if headers.get("x-amz-target"):
        body = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
        )
        return body.encode(), {"Content-Type": "application/x-amz-json-1.0"}
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        body_bytes = _cbor_map({"__type": code, "message": message})
        return body_bytes, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    kind = "Receiver" if status >= 500 else "Sender"
    xml = (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
    )
    return xml.encode(), {"Content-Type": "text/xml"}


class FaultProxy:
    """A reverse proxy on 127.0.0.1 in front of ``upstream`` that injects armed faults."""

    def __init__(self, upstream: str) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("the fault proxy only talks to an emulator on 127.0.0.1")
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.calls: Counter[str] = Counter()
        self.injected: list[tuple[str, FaultKind]] = []
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._lock = threading.Lock()
        self._server = _ProxyServer(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def arm(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def hold(self, operation: str, nth: int = 1, *, applied: bool = False) -> Hold:
        hold = Hold(operation, nth, applied)
        with self._lock:
            self._holds.append(hold)
        return hold

    def clear(self) -> None:
        """Disarm every fault and hold; forget the counts."""
        with self._lock:
            for hold in self._holds:
                hold.release()
            self._faults, self._holds = [], []
            self.calls.clear()
            self.injected.clear()

    def _decide(self, operation: str, account: str = "") -> tuple[Fault | None, Hold | None]:
        """The fault and hold (if any) for one call; ``account`` is the caller's access key
        and region (``account_of``), for subclasses that keep per-account state."""
        with self._lock:
            self.calls[operation] += 1
            fault = next((f for f in self._faults if f.hits(operation)), None)
            if fault is not None:
                self.injected.append((operation, fault.kind))
            hold = None
            for candidate in self._holds:
                if candidate.operation == operation:
                    candidate.seen += 1
                    if candidate.seen == candidate.nth:
                        hold = candidate
            return fault, hold

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            conn.connect()
            assert conn.sock is not None
            # Headers and body leave in separate writes: without this, Nagle's algorithm
            # and delayed acknowledgements add 40 ms to every call.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


class _Handler(BaseHTTPRequestHandler):
    """Forwards one request, or injects the fault armed for its operation."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _serve(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault, hold = proxy._decide(operation_of(self.path, headers, body), account_of(headers))
        if hold is not None and not hold.applied and not self._held(hold):
            return
        if fault is not None and fault.kind == "reset":
            self._reset()
            return
        if fault is not None and fault.kind in ("error_5xx", "throttle"):
            self._error(headers, fault.kind, fault.code)
            return
        status, reply_headers, reply = proxy._forward(
            self.command, self.path, dict(self.headers.items()), body
        )
        if hold is not None and hold.applied and not self._held(hold):
            return
        if fault is not None and fault.kind == "drop_reply":
            self._reset()
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
        self._reply(status, reply_headers, reply)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def _held(self, hold: Hold) -> bool:
        """Wait for the test to release the call; False when it asked for no reply."""
        hold.arrived.set()
        hold.released.wait(60)
        if not hold.reply:
            self._reset()
        return hold.reply

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        with contextlib.suppress(OSError):
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

    def _error(self, headers: dict[str, str], kind: str, code: str | None = None) -> None:
        json_protocol = bool(headers.get("x-amz-target"))
        if code is not None:
            status = 503 if kind == "error_5xx" else 400
        elif kind == "throttle":
            code, status = ("ThrottlingException" if json_protocol else "Throttling"), 400
        else:
            code, status = ("InternalServerError" if json_protocol else "ServiceUnavailable"), 503
        body, extra = error_reply(headers, code, status)
        self._reply(status, list(extra.items()), body)

    def _reset(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()


@contextlib.contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A started proxy in front of ``upstream`` for the life of the block."""
    with FaultProxy(upstream) as proxy:
        yield proxy
