"""`zdd warden`: end the releases whose runner died, from the journal alone.

One pass looks at every journal of a store (a DynamoDB table holding many services
and environments, or a directory). A deployment without an outcome whose lease
lapsed (expired, released, or its process provably gone) is an orphan: the warden
takes its lease (two wardens at once: the lease picks one) and ends it by the
policy written with it (``on_orphan``: roll back, resume, or hold and notify).
Releases that stopped for a human, drift (exit 4) or a manual gate, are never
acted on, only notified, once.

The warden needs no environment file: each deployment carries a hand-off record
(``journal.model.Handoff``: stack outputs, strategy, notifications, policy) written
by the run that started it. The warden can then run in the account, where only
the journal table is at hand; and it acts on the stack the release ran on, not on
a file that may have changed since. What the record does not carry, hooks and
metric analysis, the warden does without: its moves are plain rollbacks or bakes
watched by the stack's alarms and target health.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from generator.aws import AwsClients
from generator.colours import Colour
from generator.config import Strategy
from generator.config.notify import Webhooks
from generator.errors import DriftError, LockHeld, ReleaseFailed, ZddError
from generator.events import EventBus, Origin
from generator.infra.outputs import StackOutputs
from generator.journal import open_store
from generator.journal.model import Deployment, Handoff
from generator.journal.protocol import DeploymentStore, Owner, VersionConflict, holder_gone
from generator.rollout.aws.rules import router_for
from generator.rollout.aws.wiring import default_signals
from generator.rollout.engine.context import EngineSettings, RunContext
from generator.rollout.engine.decisions import Rollback
from generator.rollout.engine.engine import Engine
from generator.rollout.engine.moves import reconcile, roll_back
from generator.rollout.ports import Clock, ListenerState, SystemClock

Action = Literal["rolled_back", "resumed", "held", "notified", "running", "taken", "failed"]
WARDEN = "zdd warden"


@dataclass(frozen=True)
class Verdict:
    """What one pass did with one journal's unfinished deployment."""

    service: str
    environment: str
    deployment: str
    action: Action
    detail: str

    def line(self) -> str:
        return f"{self.service}/{self.environment} {self.deployment}: {self.action}: {self.detail}"


@dataclass
class Warden:
    """One store's warden: ``run_pass`` once, or ``watch`` on a schedule."""

    url: str
    clients: Callable[[str], AwsClients]  # region -> clients (the store's region: "")
    events: Callable[[Origin, Handoff | None], EventBus]
    clock: Clock | None = None

    def run_pass(self) -> list[Verdict]:
        """Every unfinished deployment of the store, looked at once."""
        from generator.journal.catalog import journals

        def dynamodb():  # type: ignore[no-untyped-def]
            return self.clients("").dynamodb

        verdicts = []
        for service, environment in journals(self.url, dynamodb=dynamodb):
            try:
                store = open_store(self.url, service, environment, dynamodb=dynamodb)
                verdict = self._look_at(store, service, environment)
            except ZddError as exc:  # one unreadable journal must not hide the others
                verdict = Verdict(service, environment, "-", "failed", str(exc))
            except Exception as exc:  # e.g. a hand-off written by a newer zdd than this one
                detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                verdict = Verdict(service, environment, "-", "failed", detail)
            if verdict is not None:
                verdicts.append(verdict)
        return verdicts

    def watch(
        self,
        every: float,
        passes: int | None = None,
        on_pass: Callable[[list[Verdict]], None] | None = None,
    ) -> list[Verdict]:
        """Passes every ``every`` seconds (``passes`` of them; None: forever). Each pass's
        verdicts go to ``on_pass`` as it ends; with ``passes`` they are also returned."""
        clock = self.clock or SystemClock()
        seen: list[Verdict] = []
        done = 0
        while passes is None or done < passes:
            verdicts = self.run_pass()
            if on_pass is not None:
                on_pass(verdicts)
            if passes is not None:  # a loop forever keeps nothing
                seen += verdicts
            done += 1
            if passes is None or done < passes:
                clock.sleep(every)
        return seen

    def _look_at(self, store: DeploymentStore, service: str, env: str) -> Verdict | None:
        clock = self.clock or SystemClock()
        dep = store.load().current
        if dep is None or dep.terminal:
            return None

        def verdict(action: Action, detail: str) -> Verdict:
            return Verdict(service, env, dep.id, action, detail)

        holder = store.lock_info()
        if holder is not None and not holder_gone(holder, clock.now()):
            return verdict("running", f"{holder.describe()} holds its lease")
        lapsed = f"the lease of {holder.describe()} lapsed" if holder else "nobody holds its lease"
        handoff = dep.handoff
        bus = self.events(Origin(service, env), handoff)
        if handoff is None:
            why = "it carries no hand-off record (an older zdd, or too big): run `zdd resume`"
            return self._notify(store, bus, dep, verdict, why)
        if dep.status == "waiting_gate":
            why = "it waits at a manual gate for `zdd promote` or `zdd abort`"
            return self._notify(store, bus, dep, verdict, why)
        if handoff.on_orphan == "hold":
            why = f"{lapsed}; on_orphan is hold: run `zdd resume` or `zdd abort`"
            return self._notify(store, bus, dep, verdict, why)
        owner = Owner.current(WARDEN)
        store = open_store(
            self.url,
            service,
            env,
            dynamodb=lambda: self.clients("").dynamodb,
            lease_seconds=handoff.lease_seconds,
        )
        ctx = orphan_context(handoff, store, self.clients(handoff.region), clock, owner, bus)
        return self._end(ctx, handoff, lapsed, verdict)

    def _end(
        self,
        ctx: RunContext,
        handoff: Handoff,
        lapsed: str,
        verdict: Callable[[Action, str], Verdict],
    ) -> Verdict:
        store = ctx.store
        dep: Deployment | None = None
        try:
            store.acquire(ctx.owner, take_over=True)
        except LockHeld as held:
            return verdict("taken", f"another run took its lease first ({held})")
        try:
            doc = store.load()
            dep = doc.current
            if dep is None or dep.terminal:
                return verdict("taken", "finished by another run meanwhile")
            ctx.emit(
                "warden.takeover",
                f"{WARDEN} on {socket.gethostname()} took over: {lapsed}; "
                f"on_orphan: {handoff.on_orphan}",
                "warning",
                dep=dep,
            )
            ctx.save(doc)  # journalled before anything moves: who took it over, and why
            if handoff.on_orphan == "resume" or dep.is_undo or dep.status == "rolling_back":
                return _resume(ctx, verdict)
            state = reconcile(ctx, doc)
            why = f"rolled back by {WARDEN}: {lapsed}"
            with contextlib.suppress(ReleaseFailed):
                roll_back(ctx, doc, Rollback(why), reading=state)
            return verdict("rolled_back", why)
        except DriftError as drift:
            return self._notify(store, ctx.events, dep, verdict, f"held for a human: {drift}")
        except ZddError as exc:
            return verdict("failed", str(exc))
        finally:
            with contextlib.suppress(Exception):
                store.release(ctx.owner)

    @staticmethod
    def _notify(
        store: DeploymentStore,
        bus: EventBus,
        dep: Deployment | None,
        verdict: Callable[[Action, str], Verdict],
        why: str,
    ) -> Verdict:
        """Journal and announce why a deployment is held, once (not at every pass)."""
        doc = store.load()
        current = doc.current
        if current is None or dep is None or current.id != dep.id:
            return verdict("taken", "changed by another run meanwhile")
        told = [e for e in current.events if e.kind == "warden.held"]
        if told and told[-1].message == why:
            return verdict("held", why)
        ctx = RunContext(
            router=_NoRouter(),
            signals=(),
            store=store,
            settings=EngineSettings(poll_seconds=1, alarm_grace_seconds=0),
            events=bus,
            clock=SystemClock(),
            owner=Owner.current(WARDEN),
        )
        ctx.emit("warden.held", why, "warning", dep=current)
        with contextlib.suppress(VersionConflict):  # written by another meanwhile: next pass
            store.save(doc)
        return verdict("notified", why)


class _NoRouter:
    """Held deployments are only journalled and announced: nothing reads or moves."""

    @property
    def arn(self) -> str:
        return ""

    def read(self) -> ListenerState:
        raise AssertionError("a held deployment is never read")

    def set_weights(self, base: ListenerState, weights: dict[Colour, int]) -> ListenerState:
        raise AssertionError("a held deployment never moves")

    def point_test_listener(self, colour: Colour) -> None:
        raise AssertionError("a held deployment never moves")


def _resume(ctx: RunContext, verdict: Callable[[Action, str], Verdict]) -> Verdict:
    """Carry it on as `zdd resume` would (its bakes and alarms), or finish its rollback."""
    engine = Engine(ctx)
    try:
        dep = engine.resume(wait=False)
    except ReleaseFailed as failed:
        return verdict("rolled_back", f"resumed by {WARDEN}, then {failed}")
    status = dep.status if dep is not None else "finished"
    return verdict("resumed", f"resumed by {WARDEN}: {status}")


def orphan_context(
    handoff: Handoff,
    store: DeploymentStore,
    clients: AwsClients,
    clock: Clock,
    owner: Owner,
    events: EventBus,
) -> RunContext:
    """The engine's collaborators for a deployment, rebuilt from its hand-off record."""
    outputs = StackOutputs.model_validate(handoff.outputs)
    strategy = Strategy.model_validate(handoff.strategy)
    settings = replace(
        EngineSettings.from_strategy(strategy),
        heartbeat_seconds=min(30.0, handoff.lease_seconds / 4),
    )
    signals = default_signals(clients.elbv2, clients.cloudwatch, outputs, strategy)
    return RunContext(
        router=router_for(clients.elbv2, outputs),  # every route of the release
        signals=tuple(signals),
        store=store,
        settings=settings,
        events=events,
        clock=clock,
        owner=owner,
        versions=dict(outputs.versions or {}),
    )


def notifications(handoff: Handoff | None) -> Webhooks:
    """The notifications a deployment was started with (none without a hand-off)."""
    return Webhooks.model_validate(handoff.notify) if handoff is not None else Webhooks()


def warden_for(
    url: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    json_mode: bool = False,
    clock: Clock | None = None,
) -> Warden:
    """The warden of ``url`` on AWS, as `zdd warden` and the Lambda handler run it: events
    on the console (plain lines, or JSON Lines) and to each deployment's notifications."""
    from generator.events.select import console_sink, notifiers

    cache: dict[str, AwsClients] = {}

    def clients(where: str) -> AwsClients:
        where = where or region or ""
        if where not in cache:
            cache[where] = AwsClients.from_environment(profile, where or None)
        return cache[where]

    def events(origin: Origin, handoff: Handoff | None) -> EventBus:
        aws = clients(handoff.region if handoff else "")
        sinks = [console_sink(json_mode, origin)]
        sinks += notifiers(
            notifications(handoff),
            origin=origin,
            sns=lambda: aws.sns,
            eventbridge=lambda: aws.eventbridge,
        )
        return EventBus(sinks)

    return Warden(url, clients, events, clock)


def handler(event: object, context: object) -> dict[str, object]:
    """The Lambda function's entry point (EventBridge Scheduler invokes it): one pass of
    `zdd warden` over ``ZDD_WARDEN_STORE``. A release it could not end fails the
    invocation, so the function's Errors metric (and its alarm) see it."""
    import os

    url = os.environ["ZDD_WARDEN_STORE"]
    verdicts = warden_for(url, region=os.environ.get("AWS_REGION")).run_pass()
    lines = [v.line() for v in verdicts]
    failed = [v.line() for v in verdicts if v.action == "failed"]
    if failed:
        raise RuntimeError("zdd warden could not end: " + "; ".join(failed))
    return {"store": url, "verdicts": lines}
