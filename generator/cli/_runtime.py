"""What commands share: loading an environment, its store, events and stack outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from generator.aws import AwsClients
    from generator.colours import Colour
    from generator.config import Environment
    from generator.events import EventBus
    from generator.infra.outputs import StackOutputs
    from generator.journal.model import Deployment
    from generator.journal.protocol import DeploymentStore
    from generator.rollout.release import ReleaseContext


def load_env(env: str) -> Environment:
    from generator.config import load_environment

    return load_environment(env)


def parse_colour(value: str | None, option: str) -> Colour | None:
    from generator.colours import parse_colour as parse

    return None if value is None else parse(value, option)


def print_json(data: Any) -> None:
    from generator.cli._json_result import saw

    saw(data)
    sys.stdout.write(json.dumps(data, indent=None, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def echo_to_stderr() -> Any:
    """Terraform's own lines (the human plan, apply progress) go to stderr, always:
    under ``--json`` stdout carries only JSON, and the plan stays readable in CI logs."""
    return lambda line: print(line, file=sys.stderr, flush=True)


def terraform_echo(verbose: bool) -> Any:
    """What of terraform's output a command shows (on stderr): all of it with ``verbose``;
    else its short summary (what the plan does, its totals, the apply's result) and zdd's
    heartbeats naming what is still in progress."""
    if verbose:
        return echo_to_stderr()
    from generator.infra.progress import summary_line

    def echo(line: str) -> None:
        if summary_line(line):
            print(line, file=sys.stderr, flush=True)

    return echo


def committed_lock(env_arg: str, env: Environment) -> Path:
    """The environment's committed provider lock file: ``ENV.terraform.lock.hcl`` beside it."""
    from generator.config import environment_dir
    from generator.infra.provider_lock import committed_lock_path

    return committed_lock_path(environment_dir(env_arg), env.name)


def default_stack_dir(env: Environment, given: Path | None) -> Path:
    return given if given is not None else Path("build") / env.name


def make_events(
    json_mode: bool,
    env: Environment | None = None,
    webhooks: list[str] | None = None,
    clients: AwsClients | None = None,
) -> EventBus:
    """The console view (live panel, plain lines or JSON Lines) plus the environment's
    notifications (webhooks, SNS, EventBridge) and ``--webhook`` URLs."""
    from generator.events import EventBus, Origin
    from generator.events.ci import ci_sinks
    from generator.events.select import console_sink, notifiers

    origin = Origin(env.service, env.name) if env is not None else Origin()
    sinks = [*ci_sinks(), console_sink(json_mode, origin)]  # CI first: sections open before
    if env is not None:
        sinks += notifiers(
            env.webhooks,
            origin=origin,
            extra_urls=webhooks or [],
            sns=(lambda: clients.sns) if clients is not None else None,
            eventbridge=(lambda: clients.eventbridge) if clients is not None else None,
        )
    return EventBus(sinks)


def env_store(env: Environment, url: str | None, profile: str | None) -> DeploymentStore:
    """The environment's journal store (``--store`` overrides), with ``--profile`` honoured."""
    from generator.journal import open_store
    from generator.journal.store_checks import check_store

    def dynamodb() -> Any:
        from generator.aws import AwsClients

        return AwsClients.from_environment(profile, env.region).dynamodb

    chosen = env.store.url if url is None else url  # `--store ""` is an error, not a default
    store = open_store(
        chosen, env.service, env.name, dynamodb=dynamodb, lease_seconds=env.store.lease_seconds
    )
    check_store(store)  # a file, a missing table, another key schema: exit 2 now
    return store


def checked_webhooks(urls: list[str] | None) -> list[str]:
    """``--webhook`` URLs, validated as the environment's ``webhooks`` are."""
    from pydantic import ValidationError

    from generator.config.notify import Webhooks

    try:
        Webhooks(urls=list(urls or []))
    except ValidationError as exc:
        msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise InputError(f"--webhook: {msg}") from None
    return list(urls or [])


def release_context(
    env_name: str,
    command: str,
    *,
    store: str | None = None,
    profile: str | None = None,
    json_mode: bool = False,
    webhooks: list[str] | None = None,
) -> ReleaseContext:
    from generator.aws import AwsClients
    from generator.config import environment_dir
    from generator.rollout.release import ReleaseContext

    env = load_env(env_name)
    clients = AwsClients.from_environment(profile, env.region)
    return ReleaseContext(
        env=env,
        env_dir=environment_dir(env_name),
        clients=clients,
        store=env_store(env, store, profile),
        events=make_events(json_mode, env, checked_webhooks(webhooks), clients),
        command=command,
    )


def stack_outputs(env: Environment, outputs: Path | None, stack_dir: Path | None) -> StackOutputs:
    """``--outputs FILE``, else ``terraform output`` of the rendered stack; its ARNs are
    checked (well formed, in the environment's region) before any AWS call."""
    from generator.infra.arns import check_outputs
    from generator.infra.outputs import load_outputs

    if outputs is not None:
        found = load_outputs(outputs)
        check_outputs(found, env.region, str(outputs))
        return found
    from generator.infra.terraform import Terraform

    directory = default_stack_dir(env, stack_dir)
    if not directory.is_dir():
        raise InputError(
            f"{directory}: no rendered stack; run `zdd generate` and apply it, or pass --outputs"
        )
    found = Terraform(directory).output()
    check_outputs(found, env.region, f"terraform output of {directory}")
    return found


def finish(
    ctx: ReleaseContext, json_mode: bool, what: str, run: Callable[[], Deployment | None]
) -> None:
    """Run, then the summary (``--json``: the ``result`` line, always last), then any error."""
    from generator.rollout.views.outcome import summarize

    summary, error = summarize(what, ctx.store, ctx.events, run)
    if json_mode:
        print_json(summary.to_json())
    else:
        for line in summary.lines():
            print(line)
    if error is not None:
        raise error
