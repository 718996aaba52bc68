"""Every step and decision is an event: shown live, logged as lines or JSON Lines, notified.

``core`` holds the event, the deployment snapshot it carries and the bus;
``text`` the plain and JSON Lines sinks; ``live`` the terminal panel (rich,
imported only when used); ``notify`` webhooks, SNS and EventBridge. The JSON
Lines format is specified by ``events.schema.json`` beside this file.
"""

from pathlib import Path

from generator.events.core import (
    DeliveryReport,
    Event,
    EventBus,
    EventSink,
    Origin,
    ReportsDelivery,
    Snapshot,
)
from generator.events.live import RichSink
from generator.events.notify import (
    DEFAULT_EVENTS,
    EventBridgeSink,
    Notifier,
    SnsSink,
    WebhookSink,
    payload,
    slack_text,
)
from generator.events.text import JsonSink, PlainSink, event_record, iso, jsonable

SCHEMA_PATH = Path(__file__).with_name("events.schema.json")

__all__ = [
    "DEFAULT_EVENTS",
    "SCHEMA_PATH",
    "DeliveryReport",
    "Event",
    "EventBridgeSink",
    "EventBus",
    "EventSink",
    "JsonSink",
    "Notifier",
    "Origin",
    "PlainSink",
    "ReportsDelivery",
    "RichSink",
    "Snapshot",
    "SnsSink",
    "WebhookSink",
    "event_record",
    "iso",
    "jsonable",
    "payload",
    "slack_text",
]
