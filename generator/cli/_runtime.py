"""What commands share: loading an environment, outputs, clients, store, events."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import InputError

if TYPE_CHECKING:
    from generator.aws import AwsClients
    from generator.config import Colour, Environment
    from generator.deploy import Engine
    from generator.events import EventBus
    from generator.outputs import StackOutputs
    from generator.store import DeploymentStore


def load_env(env: str) -> Environment:
    from generator.config import load_environment

    return load_environment(env)


def parse_colour(value: str | None, option: str) -> Colour | None:
    if value is None:
        return None
    if value not in ("blue", "green"):
        raise InputError(f"{option}: expected blue or green (got {value!r})")
    return value  # type: ignore[return-value]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=None, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def default_stack_dir(env: Environment, given: Path | None) -> Path:
    return given if given is not None else Path("build") / env.name


def make_events(json_mode: bool, webhooks: list[str] | None = None) -> EventBus:
    from generator.events import EventBus, EventSink, JsonSink, PlainSink, RichSink, WebhookSink

    sinks: list[EventSink] = []
    if json_mode:
        sinks.append(JsonSink(sys.stdout))
    elif sys.stderr.isatty():
        sinks.append(RichSink())
    else:
        sinks.append(PlainSink(sys.stderr))
    if webhooks:
        sinks.append(WebhookSink(webhooks))
    return EventBus(sinks)


@dataclass
class TrafficContext:
    """Everything a traffic command needs, built from the command line."""

    env: Environment
    env_dir: Path
    clients: AwsClients
    outputs: StackOutputs
    store: DeploymentStore
    events: EventBus

    def engine(self, command: str, strategy: Any = None) -> Engine:
        from generator.deploy import Engine, EngineSettings
        from generator.store import Owner

        return Engine(
            elbv2=self.clients.elbv2,
            cloudwatch=self.clients.cloudwatch,
            outputs=self.outputs,
            store=self.store,
            settings=EngineSettings.from_strategy(strategy or self.env.strategy),
            events=self.events,
            owner=Owner.current(command),
            hooks=self.env.hooks,
        )


def traffic_context(
    env_name: str,
    *,
    outputs: Path | None,
    stack_dir: Path | None = None,
    store: str | None = None,
    profile: str | None = None,
    json_mode: bool = False,
    webhooks: list[str] | None = None,
) -> TrafficContext:
    from generator.aws import AwsClients
    from generator.config import environment_dir
    from generator.outputs import load_outputs
    from generator.store import open_store

    env = load_env(env_name)
    clients = AwsClients.from_environment(profile, env.region)
    if outputs is not None:
        stack_outputs = load_outputs(outputs)
    else:
        from generator.terraform import Terraform

        directory = default_stack_dir(env, stack_dir)
        if not directory.is_dir():
            raise InputError(
                f"{directory}: no rendered stack; "
                "run `zdd generate` and apply it, or pass --outputs"
            )
        stack_outputs = Terraform(directory).output()
    url = store or env.store.url
    the_store = open_store(url, env.service, env.name, dynamodb=lambda: clients.dynamodb)
    return TrafficContext(
        env,
        environment_dir(env_name),
        clients,
        stack_outputs,
        the_store,
        make_events(json_mode, [*env.webhooks, *(webhooks or [])]),
    )
