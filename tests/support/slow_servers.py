"""Servers on 127.0.0.1 that are slow on purpose: one trickles its body, one never answers.

Their durations stay small (a couple of seconds at most); tests assert what zdd did
about them (gave up, said so, kept watching), never how long it took.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from typing import Any


class TrickleServer:
    """Answers 200 at once, then sends its body one byte every ``interval`` seconds.

    Each read gets a byte well within any per-read socket timeout, so only a deadline
    on the whole call ends the request before the body does (after ``seconds``).
    """

    def __init__(self, seconds: float = 2.0, interval: float = 0.05) -> None:
        self.size = size = max(1, int(seconds / interval))  # the whole body, in bytes
        self.requests = 0
        self.sent = 0  # bytes written so far, over every request
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                try:
                    for _ in range(size):
                        self.wfile.write(b"o")
                        self.wfile.flush()
                        owner.sent += 1
                        time.sleep(interval)  # the remote server, not the test, is slow
                except OSError:
                    return  # the client gave up

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        serve = {"poll_interval": 0.05}  # close() returns within this
        threading.Thread(target=self.httpd.serve_forever, kwargs=serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentServer:
    """Accepts connections (the kernel's backlog does) and never answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def close(self) -> None:
        self.sock.close()
