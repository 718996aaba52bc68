"""The ``http`` hook: a request to the test (or production) URL, with retries.

The hook's ``timeout_seconds`` is a deadline on the whole hook: every attempt, each
connect and each read of the body (a body that trickles in fails the hook).
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from generator.config.hooks import HttpHook
from generator.deadline import DeadlineExceeded, read_within
from generator.hooks.command import HookResult

MAX_BODY = 1 << 20  # read at most 1 MiB of a response


def run_http(
    hook: HttpHook,
    base_url: str | None,
    env: Mapping[str, str],
    *,
    now: Callable[[], float],
    sleep: Callable[[float], None],
    cancel: threading.Event | None = None,
) -> HookResult:
    """Attempt the request up to 1 + retries times; the first success passes.

    ``now``/``sleep`` pace the retries; the wall-clock deadline (``time.monotonic``)
    bounds the network I/O, which no injected clock can speed up."""
    spec = hook.http
    if not base_url:
        return HookResult(["http", spec.path], False, f"no {spec.target} URL in the stack outputs")
    url = base_url.rstrip("/") + spec.path
    label = ["http", spec.method, url]
    deadline = now() + hook.timeout_seconds
    wall = time.monotonic() + hook.timeout_seconds
    detail = ""
    for attempt in range(spec.retries + 1):
        ok, detail = _attempt(hook, url, env, wall)
        if ok:
            return HookResult(label, True, detail)
        if detail.startswith("deadline exceeded") or (cancel is not None and cancel.is_set()):
            break
        if attempt == spec.retries or now() + spec.retry_seconds > deadline:
            break
        sleep(spec.retry_seconds)
    return HookResult(label, False, f"{detail} (after {attempt + 1} attempts)")


def _attempt(hook: HttpHook, url: str, env: Mapping[str, str], deadline: float) -> tuple[bool, str]:
    spec = hook.http
    request = urllib.request.Request(url, method=spec.method)
    request.add_header("User-Agent", "zdd-hook")
    if env.get("ZDD_DEPLOYMENT_ID"):
        request.add_header("X-Zdd-Deployment", env["ZDD_DEPLOYMENT_ID"])
    whole = hook.timeout_seconds
    try:
        # The socket timeout bounds connecting and each read; the deadline, the body.
        timeout = min(spec.request_timeout_seconds, deadline - time.monotonic())
        if timeout <= 0:
            raise DeadlineExceeded(whole)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, read_within(response, deadline, whole, MAX_BODY)
        except urllib.error.HTTPError as exc:
            body = read_within(exc, deadline, whole, MAX_BODY) if exc.fp else b""
            status = exc.code
    except DeadlineExceeded as exc:
        return False, str(exc)
    except (OSError, ValueError) as exc:
        return False, f"request failed ({exc})"
    if status not in spec.expect_status:
        return False, f"status {status}, expected {', '.join(map(str, spec.expect_status))}"
    if spec.body_contains is not None and spec.body_contains not in body.decode("utf-8", "replace"):
        return False, f"status {status} but the body lacks {spec.body_contains!r}"
    return True, f"status {status}"
