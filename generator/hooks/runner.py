"""Run a stage's hooks of any kind, in order, stopping at the first failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.colours import COLOURS, Colour
from generator.config import Environment, Hook
from generator.config.hooks import EcsTaskHook, HttpHook, LambdaHook
from generator.deadline import DeadlineExceeded, call_within
from generator.hooks.command import HookResult, run_hooks
from generator.hooks.ecs_task import run_ecs_task
from generator.hooks.http import run_http
from generator.hooks.lambda_invoke import LambdaClient, run_lambda

if TYPE_CHECKING:
    from mypy_boto3_ecs.client import ECSClient

    from generator.config.rollout import AnyHook
    from generator.infra.outputs import StackOutputs

# Beyond a hook's own timeout, the whole call may take this long to stop itself (kill a
# process group, StopTask) before zdd stops waiting for it.
DEADLINE_GRACE_SECONDS = 5.0


@dataclass
class HookClients:
    """AWS clients the hook kinds need, created only if a hook of that kind runs."""

    ecs: Callable[[], ECSClient] | None = None
    lambda_: Callable[[], LambdaClient] | None = None


@dataclass
class HookRunner:
    """What hooks need from the stack: URLs, where each colour runs, AWS clients."""

    cwd: Path
    test_url: str | None = None
    production_url: str | None = None
    ecs_services: dict[Colour, tuple[str, str]] = field(default_factory=dict)
    clients: HookClients = field(default_factory=HookClients)
    # The header route (name, value): requests carrying it reach the idle colour.
    test_header: tuple[str, str] | None = None

    def base_env(self) -> dict[str, str]:
        env = {"ZDD_TEST_URL": self.test_url or "", "ZDD_PRODUCTION_URL": self.production_url or ""}
        if self.test_header is not None:
            env["ZDD_TEST_HEADER_NAME"], env["ZDD_TEST_HEADER_VALUE"] = self.test_header
        return {k: v for k, v in env.items() if v}

    def run(
        self,
        hooks: Sequence[AnyHook],
        env: Mapping[str, str],
        colour: Colour,
        *,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        cancel: threading.Event | None = None,
    ) -> list[HookResult]:
        """Run ``hooks`` for the new ``colour``; stop at the first failure (or once
        ``cancel`` is set). Never raises, except for a stop signal.

        Each hook has a wall-clock deadline on the whole call: its ``timeout_seconds``
        plus ``DEADLINE_GRACE_SECONDS``, whatever its kind does inside."""
        full = {**self.base_env(), **env}
        results: list[HookResult] = []
        for hook in hooks:
            if cancel is not None and cancel.is_set():
                break
            result = self._bounded(hook, full, colour, now, sleep, cancel)
            results.append(result)
            if not result.ok:
                break
        return results

    def _bounded(
        self,
        hook: AnyHook,
        env: Mapping[str, str],
        colour: Colour,
        now: Callable[[], float],
        sleep: Callable[[float], None],
        cancel: threading.Event | None,
    ) -> HookResult:
        stop = threading.Event()  # this hook's own: set when zdd stops waiting for it

        def watch() -> None:  # a caller's cancel reaches the hook too
            if cancel is not None:
                while not stop.wait(0.1):
                    if cancel.is_set():
                        stop.set()

        threading.Thread(target=watch, name="zdd-hook-cancel", daemon=True).start()
        seconds = hook.timeout_seconds + DEADLINE_GRACE_SECONDS
        try:
            return call_within(
                lambda: self._one(hook, env, colour, now, sleep, stop),
                seconds,
                name="zdd-hook",
                on_interrupt=stop.set,
            )
        except DeadlineExceeded as exc:
            return HookResult(_label(hook), False, str(exc))
        finally:
            stop.set()  # abandoned, finished or interrupted: the hook stops with zdd

    def _one(
        self,
        hook: AnyHook,
        env: Mapping[str, str],
        colour: Colour,
        now: Callable[[], float],
        sleep: Callable[[float], None],
        stop: threading.Event,
    ) -> HookResult:
        if isinstance(hook, Hook):
            return run_hooks([hook], cwd=self.cwd, extra_env=env, cancel=stop)[0]
        if isinstance(hook, HttpHook):
            url = self.test_url if hook.http.target == "test" else self.production_url
            return run_http(hook, url, env, now=now, sleep=sleep, cancel=stop)
        if isinstance(hook, EcsTaskHook):
            ecs = self.clients.ecs() if self.clients.ecs else None
            ref = self.ecs_services.get(colour, ("", ""))
            return run_ecs_task(hook, ecs, ref, env, now=now, sleep=sleep, cancel=stop)
        if isinstance(hook, LambdaHook):
            client = self.clients.lambda_() if self.clients.lambda_ else None
            return run_lambda(hook, client, env)
        return HookResult(["?"], False, f"unknown hook kind {type(hook).__name__}")


def _label(hook: AnyHook) -> list[str]:
    if isinstance(hook, Hook):
        return list(hook.command)
    if isinstance(hook, HttpHook):
        return ["http", hook.http.method, hook.http.path]
    if isinstance(hook, EcsTaskHook):
        return ["ecs_task", hook.ecs_task.service or "(the colour's service)"]
    if isinstance(hook, LambdaHook):
        return ["lambda", hook.lambda_.function]
    return ["?"]


def hook_runner_for(
    env: Environment, outputs: StackOutputs, cwd: Path, clients: HookClients | None = None
) -> HookRunner:
    """URLs from the load balancer's DNS name and ports; services from the outputs
    (or the names the generated stack gives them)."""
    scheme = env.load_balancer.protocol.lower()
    host = outputs.load_balancer_dns_name
    services: dict[Colour, tuple[str, str]] = {
        c: (env.prefix, f"{env.prefix}-{c}") for c in COLOURS
    }
    for colour, ref in (outputs.ecs_services or {}).items():
        services[colour] = (ref.cluster, ref.service)
    header = env.load_balancer.header_route
    return HookRunner(
        cwd=cwd,
        # An existing load balancer has no test listener: testers use the header route.
        test_url=(
            None
            if outputs.test_listener_arn is None
            else f"{scheme}://{host}:{env.load_balancer.test_listener_port}"
        ),
        test_header=None if header is None else (header.header_name, header.header_value),
        production_url=f"{scheme}://{host}:{env.load_balancer.port}",
        ecs_services=services,
        clients=clients or HookClients(),
    )
