"""The ``lambda`` hook: Invoke a function with zdd's context; its answer decides.

A function error (``FunctionError`` in the reply), a status other than 200, or
a returned JSON object with ``"ok": false`` fails the hook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from generator.config.hooks import LambdaHook
from generator.hooks.command import HookResult


class LambdaClient(Protocol):
    """The one call zdd makes to Lambda (boto3's ``lambda`` client has it)."""

    def invoke(self, **kwargs: Any) -> Mapping[str, Any]: ...


def run_lambda(hook: LambdaHook, client: LambdaClient | None, env: Mapping[str, str]) -> HookResult:
    spec = hook.lambda_
    label = ["lambda", spec.function]
    if client is None:
        return HookResult(label, False, "no Lambda client (AWS access) to invoke with")
    context = {k.removeprefix("ZDD_").lower(): v for k, v in env.items() if k.startswith("ZDD_")}
    payload = {**spec.payload, "zdd": context}
    try:
        reply = client.invoke(
            FunctionName=spec.function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
        raw = reply["Payload"].read() if "Payload" in reply else b""
    except Exception as exc:  # botocore errors, timeouts: the hook failed, zdd did not
        return HookResult(label, False, f"invoke failed ({exc})")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if reply.get("FunctionError"):
        return HookResult(label, False, f"function error: {_message(text)}")
    status = reply.get("StatusCode", 200)
    if status != 200:
        return HookResult(label, False, f"status {status}")
    try:
        answer = json.loads(text) if text.strip() else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("ok") is False:
        return HookResult(label, False, f"returned failure: {_message(text)}")
    return HookResult(label, True, "ok")


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(data, dict):
        return str(data.get("errorMessage") or data.get("message") or data)[:200]
    return str(data)[:200]
