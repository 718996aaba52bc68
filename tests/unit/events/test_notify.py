"""Notifications: webhooks against a local HTTP receiver, SNS and EventBridge on moto.

What is posted (service, environment, release, colours, weights, deployment id,
Slack text), which events (the default filter, a configured one), and what
happens when a target fails (one log line per target, counted in the summary).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from generator.config import Strategy
from generator.config.notify import Webhooks
from generator.errors import PreflightRefused, ReleaseFailed
from generator.events import (
    DEFAULT_EVENTS,
    Event,
    EventBridgeSink,
    EventBus,
    Origin,
    Snapshot,
    SnsSink,
    WebhookSink,
)
from generator.events.select import notifiers
from generator.journal.local import LocalStore
from generator.rollout.engine.engine import ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from generator.rollout.views.outcome import summarize
from tests.conftest import ROOT, engine_for

ORIGIN = Origin("shop", "staging")


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every JSON body; ``/broken`` answers 500."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                if self.path.startswith("/broken"):
                    self.send_response(500)
                else:
                    received.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def kinds(self) -> list[str]:
        return [b["zdd"]["kind"] for b in self.bodies]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"


def release(aws, clock, tmp_path: Path, sink, steps=(10, 100), fire: bool = False):
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    engine = engine_for(aws, clock, store, poll=10, events=EventBus([sink]))
    if fire:
        clock.at(15, lambda: aws.set_alarm(aws.outputs.alarm_names["green"][0], reason="5xx 9%"))
    strategy = Strategy(type="steps", steps=list(steps), bake_seconds=60)
    return engine, lambda: engine.shift(
        ReleaseSpec(build_schedule(strategy), "steps", release="v2")
    )


def test_a_release_posts_what_people_act_on(aws, clock, tmp_path: Path, receiver) -> None:
    sink = WebhookSink([receiver.url()], origin=ORIGIN, timeout=2)
    _, run = release(aws, clock, tmp_path, sink)
    dep = run()
    sink.close()
    # start, each step, promoted: not every bake and poll (it used to be 8 posts)
    assert receiver.kinds() == [
        "deployment.start",
        "step.verified",
        "step.verified",
        "deployment.promoted",
    ]
    step = receiver.bodies[1]
    body = step["zdd"]
    assert body["service"] == "shop" and body["environment"] == "staging"
    assert body["release"] == "v2" and body["deployment_id"] == dep.id
    assert (body["from_colour"], body["to_colour"]) == ("blue", "green")
    assert body["weights"] == {"blue": 90, "green": 10}
    assert (body["step"], body["steps"]) == (1, 2)
    assert body["at"].endswith("Z") and body["actor"]
    text = step["text"]
    for part in ("*shop/staging*", "release `v2`", "blue → green", "step 1/2", dep.id):
        assert part in text, text
    assert sink.delivery_report().sent == 4


def test_rolled_back_and_refused_are_posted(aws, clock, tmp_path: Path, receiver) -> None:
    sink = WebhookSink([receiver.url()], origin=ORIGIN, timeout=2)
    _, run = release(aws, clock, tmp_path, sink, fire=True)
    with pytest.raises(ReleaseFailed):
        run()
    _, again = release(aws, clock, tmp_path, sink)  # the alarm still fires: refused
    with pytest.raises(PreflightRefused):
        again()
    sink.close()
    kinds = receiver.kinds()
    assert "rollback.done" in kinds and kinds[-1] == "deployment.refused"
    done = receiver.bodies[kinds.index("rollback.done")]
    assert "5xx 9%" in done["zdd"]["message"] and done["zdd"]["weights"] == {
        "blue": 100,
        "green": 0,
    }
    refused = receiver.bodies[-1]["zdd"]
    assert refused["data"]["stage"] == "preflight" and refused["to_colour"] == "green"
    assert ":red_circle:" in receiver.bodies[-1]["text"]


def test_the_filter_comes_from_the_environment(aws, clock, tmp_path: Path, receiver) -> None:
    legacy = Webhooks.model_validate([receiver.url()])  # yesterday's list of URLs
    assert legacy.urls == [receiver.url()] and legacy.events == list(DEFAULT_EVENTS)
    config = Webhooks(urls=[receiver.url()], events=["bake.passed", "deployment.*"])
    (sink,) = notifiers(config, origin=ORIGIN)
    _, run = release(aws, clock, tmp_path, sink)
    run()
    sink.close()
    assert receiver.kinds() == [
        "deployment.start",
        "bake.passed",
        "bake.passed",
        "deployment.promoted",
    ]
    with pytest.raises(ValueError, match="matches no event kind"):
        Webhooks(urls=[], events=["bake.finished"])


def test_failures_are_logged_once_per_target_and_counted(
    aws, clock, tmp_path: Path, receiver
) -> None:
    warnings: list[str] = []
    broken, gone = receiver.url("/broken/T0KEN/s3cret"), closed_port_url()
    sink = WebhookSink([broken, gone], origin=ORIGIN, timeout=2, warn=warnings.append)
    engine, run = release(aws, clock, tmp_path, sink)
    summary, error = summarize("shift", engine.store, engine.events, run)
    assert error is None and summary.status == "promoted"
    assert len(warnings) == 2, warnings  # one per target, not one per event
    assert "HTTP 500" in warnings[0]
    assert summary.notifications.failed == 8 and summary.notifications.sent == 0
    assert all("s3cret" not in w for w in warnings)  # a webhook URL is a secret
    line = summary.lines()[-1]
    assert line.startswith("notifications: 8 of 8 failed (http://127.0.0.1/…")
    assert summary.to_json()["result"]["notifications"]["failed"] == 8


def test_cli_summary_counts_failed_webhooks(aws, run_cli, tmp_path: Path, receiver) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(aws.outputs.model_copy(update={"ecs_services": None}).to_terraform_json())
    result = run_cli(
        *("shift", "--env", str(ROOT / "environments" / "staging.yaml")),
        *("--outputs", str(outputs), "--store", str(tmp_path / "store")),
        *("--steps", "100", "--bake", "0", "--webhook", receiver.url("/broken"), "--json"),
    )
    assert result.exit_code == 0, result.stderr
    last = json.loads(result.stdout.splitlines()[-1])["result"]
    assert last["notifications"]["failed"] == 3  # start, the step, promoted
    assert result.stderr.count("webhook to http://127.0.0.1/… failed (HTTP 500)") == 1


def _event(kind: str) -> Event:
    snap = Snapshot(
        "abc123", "v2", "blue", "green", {"blue": 90, "green": 10}, 1, 2, "in_progress", "canary"
    )
    return Event(kind, f"{kind} happened", 1_700_000_000.0, "info", {}, snap)


def test_sns_and_eventbridge_receive_the_structured_body(aws) -> None:
    session = aws.session
    sns, events, sqs = (session.client(n) for n in ("sns", "events", "sqs"))  # type: ignore[attr-defined]
    topic = sns.create_topic(Name="zdd-releases")["TopicArn"]
    queues = {}
    for name in ("from-sns", "from-bus"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        queues[name] = (url, arn["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queues["from-sns"][1])
    events.create_event_bus(Name="releases")
    events.put_rule(
        Name="zdd", EventBusName="releases", EventPattern=json.dumps({"source": ["zdd"]})
    )
    events.put_targets(
        Rule="zdd", EventBusName="releases", Targets=[{"Id": "q", "Arn": queues["from-bus"][1]}]
    )
    to_sns = SnsSink(sns, [topic], origin=ORIGIN)
    to_bus = EventBridgeSink(events, ["releases"], origin=ORIGIN)
    for sink in (to_sns, to_bus):
        for kind in ("deployment.start", "bake.poll", "step.verified"):
            sink.emit(_event(kind))
        sink.close()
        assert sink.delivery_report().sent == 2  # polls are never sent

    def received(queue: str) -> list[dict]:
        url = queues[queue][0]
        return [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        ]

    via_sns = [json.loads(m["Message"]) for m in received("from-sns")]
    assert [m["zdd"]["kind"] for m in via_sns] == ["deployment.start", "step.verified"]
    assert via_sns[1]["zdd"]["weights"] == {"blue": 90, "green": 10}
    via_bus = received("from-bus")
    assert {m["detail-type"] for m in via_bus} == {"zdd deployment.start", "zdd step.verified"}
    assert all(m["source"] == "zdd" and m["detail"]["service"] == "shop" for m in via_bus)


def test_a_failing_bus_is_counted(aws) -> None:
    warnings: list[str] = []
    sink = EventBridgeSink(
        aws.client("events"), ["no-such-bus"], origin=ORIGIN, warn=warnings.append
    )
    sink.emit(_event("deployment.start"))
    sink.emit(_event("deployment.promoted"))
    sink.close()
    report = sink.delivery_report()
    assert (report.sent, report.failed, report.failed_targets) == (0, 2, ["no-such-bus"])
    assert len(warnings) == 1 and "EventBridge PutEvents to no-such-bus failed" in warnings[0]
