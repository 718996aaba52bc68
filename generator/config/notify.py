"""Schema section ``webhooks``: where events go (webhooks, SNS, EventBridge) and which ones.

A plain list of URLs, the format before this section existed, still loads: it
means those URLs with the default event filter.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from generator.config.base import Model
from generator.events.address_guard import literal_refusal
from generator.events.core import KINDS
from generator.events.links import check_link_template
from generator.events.notify import DEFAULT_EVENTS

SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
EVENT_BUS = re.compile(
    r"^(?:[A-Za-z0-9._/-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]+)$"
)


class Webhooks(Model):
    """Notifications: webhooks (Slack-compatible), SNS, EventBridge; which events."""

    urls: list[str] = Field(
        default_factory=list, description="URLs that receive events as Slack-compatible JSON"
    )
    events: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EVENTS),
        description="Event kinds sent, shell patterns allowed (hook.*.failed, *)",
    )
    sns_topic_arns: list[str] = Field(
        default_factory=list, description="SNS topics that receive each event's JSON body"
    )
    eventbridge_buses: list[str] = Field(
        default_factory=list,
        description="EventBridge buses (name or ARN): PutEvents, source zdd, detail-type zdd KIND",
    )
    link: str | None = Field(
        None,
        description="Link of a deployment in messages: a URL with {deployment_id}, "
        "{service}, {environment}",
    )
    timeout_seconds: float = Field(5, gt=0, le=60, description="Per delivery")

    @model_validator(mode="before")
    @classmethod
    def _list_of_urls(cls, value: Any) -> Any:
        return {"urls": value} if isinstance(value, list) else value

    @field_validator("urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if not re.match(r"^https?://[^\s/]+", url):
                raise ValueError(f"{url!r} must be an http(s) URL")
            why = literal_refusal(url)
            if why:
                # The host only: a webhook URL's path is a secret.
                raise ValueError(f"a webhook to {why.split()[0]}: zdd never posts there ({why})")
        return v

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[str]) -> list[str]:
        for pattern in v:
            if not any(fnmatch.fnmatchcase(kind, pattern) for kind in KINDS):
                raise ValueError(f"{pattern!r} matches no event kind (e.g. {', '.join(KINDS[:4])})")
        return v

    @field_validator("sns_topic_arns")
    @classmethod
    def _topics(cls, v: list[str]) -> list[str]:
        for arn in v:
            if not SNS_TOPIC_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an SNS topic ARN")
        return v

    @field_validator("eventbridge_buses")
    @classmethod
    def _buses(cls, v: list[str]) -> list[str]:
        for bus in v:
            if not EVENT_BUS.match(bus):
                raise ValueError(f"{bus!r} is not an event bus name or ARN")
        return v

    @field_validator("link")
    @classmethod
    def _link(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"{v!r} must be an http(s) URL")
        check_link_template(v)  # ValueError: one line, naming the placeholder
        return v

    @property
    def targets(self) -> int:
        return len(self.urls) + len(self.sns_topic_arns) + len(self.eventbridge_buses)
