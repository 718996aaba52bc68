"""Which sinks a run gets: one console view, plus the notifications the environment asks for.

The live panel needs an interactive terminal that may animate: on a TTY, without
``CI`` (CI systems that allocate a TTY still keep logs), without ``NO_COLOR``
(the weight bar is colour) and not on a ``dumb`` terminal. Everywhere else the
same events become plain timestamped lines with heartbeats.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TextIO

from generator.events.core import EventSink, Origin
from generator.events.notify import (
    EventBridgeClient,
    EventBridgeSink,
    SnsClient,
    SnsSink,
    WebhookSink,
)
from generator.events.text import JsonSink, PlainSink


def _set(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def wants_live_view(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    if not tty or env.get("TERM") == "dumb":
        return False
    return not _set(env, "CI") and not env.get("NO_COLOR")  # no-color.org: set, non-empty


def console_sink(
    json_mode: bool,
    origin: Origin | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> EventSink:
    """JSON Lines on stdout, the live panel, or plain lines on stderr."""
    if json_mode:
        return JsonSink(stdout or sys.stdout, origin=origin)
    stream = stderr or sys.stderr
    if wants_live_view(stream, environ):
        from generator.events.live import RichSink

        return RichSink(origin=origin)
    return PlainSink(stream)


class NotifyConfig(Protocol):
    """The environment's ``webhooks`` section, as far as sinks need it."""

    @property
    def urls(self) -> list[str]: ...

    @property
    def events(self) -> list[str]: ...

    @property
    def sns_topic_arns(self) -> list[str]: ...

    @property
    def eventbridge_buses(self) -> list[str]: ...

    @property
    def link(self) -> str | None: ...

    @property
    def timeout_seconds(self) -> float: ...


def notifiers(
    config: NotifyConfig,
    *,
    origin: Origin,
    extra_urls: Sequence[str] = (),
    sns: Callable[[], SnsClient] | None = None,
    eventbridge: Callable[[], EventBridgeClient] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[EventSink]:
    """Webhooks, SNS topics and event buses of ``config`` (clients built only when needed)."""
    common: dict[str, Any] = {
        "origin": origin,
        "kinds": list(config.events),
        "timeout": config.timeout_seconds,
        "link_template": config.link,
        "warn": warn,
    }
    sinks: list[EventSink] = []
    urls = [*config.urls, *(u for u in extra_urls if u not in config.urls)]
    if urls:
        sinks.append(WebhookSink(urls, **common))
    if config.sns_topic_arns and sns is not None:
        sinks.append(SnsSink(sns(), config.sns_topic_arns, **common))
    if config.eventbridge_buses and eventbridge is not None:
        sinks.append(EventBridgeSink(eventbridge(), config.eventbridge_buses, **common))
    return sinks
