"""The traffic state machine: pre-flight, steps, bakes, gates, rollback, resume.

Every weight change is written ahead: the intent is journalled, then
ModifyListener is called, then the outcome (checked against what AWS returns) is
journalled. Before each step the listener is read and compared with the journal,
so a change made behind zdd's back stops the run (exit 4) instead of being
silently overwritten. A killed process can therefore always be resumed.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from generator.alarms import AlarmPoll, AlarmWatcher
from generator.config import Colour, Hooks, Strategy
from generator.errors import (
    DriftError,
    InputError,
    LockHeld,
    PreflightRefused,
    RefusedError,
    ReleaseFailed,
    StoreError,
    ZddError,
)
from generator.events import Event, EventBus
from generator.health import target_health
from generator.hooks import run_hooks
from generator.journal import Deployment, Intent, JournalDoc, Step
from generator.journal import Event as JournalEvent
from generator.outputs import StackOutputs
from generator.store import DeploymentStore, Owner, update
from generator.strategy import describe_schedule
from generator.traffic import (
    ListenerState,
    TrafficShifter,
    format_weights,
    other_colour,
    weights_for,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _aws_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


BakeResult = Literal["baked", "finish"]


class _Rollback(Exception):
    def __init__(self, reason: str, *, status: Literal["rolled_back", "aborted"] = "rolled_back"):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class EngineSettings:
    poll_seconds: float
    alarm_grace_seconds: float
    min_healthy_targets: int
    gate_timeout_seconds: float = 86400.0
    heartbeat_seconds: float = 30.0

    @classmethod
    def from_strategy(cls, strategy: Strategy) -> EngineSettings:
        return cls(
            poll_seconds=strategy.poll_seconds,
            alarm_grace_seconds=strategy.alarm_grace_seconds,
            min_healthy_targets=strategy.min_healthy_targets,
        )


@dataclass
class ReleaseSpec:
    """What one run should do."""

    schedule: list[Step]
    strategy: str
    to: Colour | None = None
    release: str | None = None
    migrations: list[str] = field(default_factory=list)


class Engine:
    """Moves the traffic of one listener; everything external is handed in."""

    def __init__(
        self,
        *,
        elbv2: ElasticLoadBalancingv2Client,
        cloudwatch: CloudWatchClient,
        outputs: StackOutputs,
        store: DeploymentStore,
        settings: EngineSettings,
        events: EventBus | None = None,
        clock: Clock | None = None,
        owner: Owner | None = None,
        hooks: Hooks | None = None,
        hooks_cwd: Path | None = None,
    ) -> None:
        self.elbv2 = elbv2
        self.cloudwatch = cloudwatch
        self.outputs = outputs
        self.shifter = TrafficShifter(elbv2, outputs)
        self.store = store
        self.settings = settings
        self.events = events or EventBus()
        self.clock = clock or SystemClock()
        self.owner = owner or Owner.current("zdd")
        self.hooks = hooks or Hooks()
        self.hooks_cwd = hooks_cwd or Path.cwd()
        self._last_heartbeat = 0.0
        self._last_state: ListenerState | None = None  # last listener state AWS confirmed

    # -- small helpers ----------------------------------------------------

    def emit(
        self,
        kind: str,
        message: str,
        level: str = "info",
        dep: Deployment | None = None,
        **data: object,
    ) -> None:
        event = Event(kind, message, self.clock.now(), level, dict(data))
        if dep is not None and kind != "bake.poll":
            dep.events.append(
                JournalEvent(at=event.at, kind=kind, message=message, data=dict(data))
            )
        self.events.emit(event)

    def _save(self, doc: JournalDoc) -> None:
        self.store.save(doc)

    def _watcher(self, colour: Colour) -> AlarmWatcher:
        return AlarmWatcher(self.cloudwatch, self.outputs.alarm_names[colour])

    def _heartbeat(self) -> None:
        now = self.clock.now()
        if now - self._last_heartbeat >= self.settings.heartbeat_seconds:
            self.store.heartbeat(self.owner)
            self._last_heartbeat = now

    def _read_checked(self, dep: Deployment) -> ListenerState:
        """DescribeListeners, compared with the journal: a mismatch is drift (exit 4)."""
        state = self.shifter.read()
        self._last_state = state
        if state.weights != dep.weights:
            raise DriftError(
                f"listener {state.arn} changed outside zdd: the journal expects "
                f"{format_weights(dep.weights)}, the listener has {format_weights(state.weights)}. "
                "Nothing was touched; restore the listener or run `zdd abort`."
            )
        return state

    # -- pre-flight -------------------------------------------------------

    def _poll_alarms(self, watcher: AlarmWatcher) -> AlarmPoll | None:
        try:
            return watcher.poll()
        except _aws_errors():
            return None

    def preflight(self, target: Colour) -> None:
        """Fail closed before any weight moves: alarms, then health."""
        watcher = self._watcher(target)
        started = self.clock.now()
        while True:
            poll = self._poll_alarms(watcher)
            if poll is not None and poll.firing:
                raise PreflightRefused(
                    f"{target} is already alarming before the release: {poll.describe_firing()}"
                )
            if poll is not None and poll.all_ok:
                break
            waited = self.clock.now() - started
            if waited >= self.settings.alarm_grace_seconds:
                what = (
                    "unreadable"
                    if poll is None
                    else f"not OK ({', '.join(poll.insufficient + list(poll.missing))})"
                )
                raise PreflightRefused(
                    f"alarms of {target} {what} for {waited:g}s; "
                    "zdd does not shift on unknown state"
                )
            self.clock.sleep(self.settings.poll_seconds)
        health = target_health(self.elbv2, self.outputs.target_group_arns[target])
        if health.healthy < self.settings.min_healthy_targets:
            raise PreflightRefused(
                f"{target} has {health.healthy} healthy targets of {health.total}; "
                f"needs at least {self.settings.min_healthy_targets}"
            )

    # -- public operations ------------------------------------------------

    def shift(self, spec: ReleaseSpec, *, break_lock: bool = False) -> Deployment:
        """Start a release; return the finished deployment or raise (rolled back...)."""
        self.store.acquire(self.owner, force=break_lock)
        self._last_heartbeat = self.clock.now()
        try:
            doc = self.store.load()
            if doc.current is not None and not doc.current.terminal:
                raise RefusedError(
                    f"deployment {doc.current.id} is {doc.current.status}: "
                    "run `zdd resume` to finish it or `zdd abort` to roll it back"
                )
            doc.archive_current()
            state = self._last_state = self.shifter.read()
            stable = state.live
            if stable is None:
                raise DriftError(
                    f"listener {state.arn} is split ({format_weights(state.weights)}) but the "
                    "journal has no deployment in progress; a human must decide"
                )
            target = spec.to or other_colour(stable)
            if target == stable:
                self.emit("shift.noop", f"{target} already has all traffic; nothing to do")
                dep = self._new_deployment(spec, stable, target, state)
                dep.status, dep.finished_at = "promoted", self.clock.now()
                return dep
            self.emit("preflight.start", f"pre-flight: {target} alarms and health")
            self.preflight(target)
            dep = self._new_deployment(spec, stable, target, state)
            doc.current = dep
            self.emit(
                "deployment.start",
                f"deployment {dep.id}: {stable} -> {target} by {spec.strategy}: "
                f"{describe_schedule(spec.schedule)}",
                dep=dep,
                release=spec.release,
            )
            self._run_hooks("pre_traffic", dep, fatal=True)
            self._save(doc)
            return self._drive(doc, state)
        finally:
            self._release()

    def resume(self, *, break_lock: bool = False) -> Deployment | None:
        """Finish the deployment in the journal, or complete its rollback."""
        doc = self.store.load()
        dep = doc.current
        if dep is None or dep.terminal:
            return None
        self.store.acquire(self.owner, take_over=True, force=break_lock)
        self._last_heartbeat = self.clock.now()
        try:
            doc = self.store.load()
            dep = doc.current
            if dep is None or dep.terminal:
                return None
            state = self._reconcile(doc)
            self.emit("deployment.resume", f"resuming deployment {dep.id} ({dep.status})", dep=dep)
            if dep.status == "rolling_back" or dep.request == "abort":
                return self._rollback(doc, state, _Rollback("rollback completed by zdd resume"))
            return self._drive(doc, state)
        finally:
            self._release()

    def request(self, what: Literal["promote", "abort"]) -> Deployment:
        """``zdd promote`` / ``zdd abort``: tell the running zdd, or act when none runs."""
        doc = self.store.load()
        dep = doc.current
        if dep is None or dep.terminal:
            raise InputError(f"no deployment in progress to {what}")
        try:
            self.store.acquire(self.owner, take_over=True)
        except LockHeld:
            # A live run holds the listener: it reads the request within one poll.
            def ask(d: JournalDoc) -> None:
                if d.current is not None and not d.current.terminal:
                    d.current.request = what

            update(self.store, ask)
            self.emit("request", f"{what} requested; the running zdd acts within one poll")
            return dep
        self._last_heartbeat = self.clock.now()
        try:
            doc = self.store.load()
            if doc.current is None or doc.current.terminal:
                raise InputError(f"no deployment in progress to {what}")
            dep = doc.current
            if what == "abort":
                state = self.shifter.read()  # abort is a human's call: roll back regardless
                with contextlib.suppress(ReleaseFailed):
                    self._rollback(doc, state, _Rollback("aborted by zdd abort", status="aborted"))
                return dep
            state = self._reconcile(doc)
            self._finish_now(doc, state)
            return dep
        finally:
            self._release()

    # -- the machine ------------------------------------------------------

    def _new_deployment(
        self, spec: ReleaseSpec, stable: Colour, target: Colour, state: ListenerState
    ) -> Deployment:
        return Deployment(
            id=uuid.uuid4().hex[:10],
            release=spec.release,
            strategy=spec.strategy,
            from_colour=stable,
            to_colour=target,
            listener_arn=state.arn,
            schedule=spec.schedule,
            weights=dict(state.weights),
            started_at=self.clock.now(),
            migrations=list(spec.migrations),
        )

    def _release(self) -> None:
        with contextlib.suppress(ZddError):
            self.store.release(self.owner)

    def _reconcile(self, doc: JournalDoc) -> ListenerState:
        """Settle an intent whose outcome was not recorded; drift is exit 4."""
        dep = doc.current
        assert dep is not None
        state = self._last_state = self.shifter.read()
        if dep.pending is not None:
            if state.weights == dep.pending.after:
                dep.weights = dict(dep.pending.after)
                if dep.status != "rolling_back":
                    dep.step_index = self._step_of(dep, dep.pending.after)
            elif state.weights != dep.pending.before:
                raise DriftError(
                    f"listener {state.arn} matches neither the journalled before "
                    f"({format_weights(dep.pending.before)}) nor after "
                    f"({format_weights(dep.pending.after)}) weights: it has "
                    f"{format_weights(state.weights)}. Nothing was touched."
                )
            dep.pending = None
            self._save(doc)
        elif state.weights != dep.weights:
            self._read_checked(dep)  # raises DriftError with the full message
        return state

    @staticmethod
    def _step_of(dep: Deployment, weights: dict[Colour, int]) -> int:
        for i, step in enumerate(dep.schedule):
            if weights.get(dep.to_colour) == step.percent:
                return i
        return dep.step_index

    def _move(
        self, doc: JournalDoc, state: ListenerState, weights: dict[Colour, int], reason: str
    ) -> ListenerState:
        """Intent, ModifyListener, verified outcome."""
        dep = doc.current
        assert dep is not None
        dep.pending = Intent(
            before=dict(dep.weights), after=dict(weights), reason=reason, at=self.clock.now()
        )
        self._save(doc)
        new_state = self.shifter.set_weights(state, weights)
        self._last_state = new_state
        dep.weights = dict(new_state.weights)
        dep.pending = None
        self.emit(
            f"{reason}.verified",
            f"{reason}: {format_weights(new_state.weights)} verified",
            "success",
            dep=dep,
            weights=dict(new_state.weights),
        )
        self._save(doc)
        return new_state

    def _drive(self, doc: JournalDoc, state: ListenerState) -> Deployment:
        """Run the remaining steps; roll back on any failure of the new colour."""
        dep = doc.current
        assert dep is not None
        fresh: ListenerState | None = state
        try:
            try:
                if dep.step_index >= 0 and dep.baked_index < dep.step_index:
                    if self._bake(doc, dep.step_index) == "finish":
                        return self._finish_now(doc, fresh or self._read_checked(dep))
                    fresh = None
                for index in range(dep.step_index + 1, len(dep.schedule)):
                    step = dep.schedule[index]
                    base = fresh or self._read_checked(dep)
                    fresh = self._move(doc, base, weights_for(dep.to_colour, step.percent), "step")
                    dep.step_index = index
                    self._save(doc)
                    if self._bake(doc, index) == "finish":
                        return self._finish_now(doc, fresh)
                    fresh = None
                return self._promoted(doc)
            except KeyboardInterrupt:
                raise _Rollback("interrupted (SIGINT/SIGTERM)") from None
            except StoreError as exc:
                raise _Rollback(f"journal unwritable: {exc}") from None
            except _aws_errors() as exc:
                raise _Rollback(f"AWS error while shifting: {exc}") from None
        except _Rollback as rollback:
            return self._rollback(doc, None, rollback)

    def _bake(self, doc: JournalDoc, index: int) -> BakeResult:
        """Poll the new colour's alarms until the bake (and any gate) is passed."""
        dep = doc.current
        assert dep is not None
        step = dep.schedule[index]
        watcher = self._watcher(dep.to_colour)
        start = self.clock.now()
        deadline = start + step.bake_seconds
        unknown_since: float | None = None
        gate_since: float | None = None
        self.emit(
            "bake.start",
            f"baking {step.percent}% on {dep.to_colour} for {step.bake_seconds:g}s",
            dep=dep,
        )
        while True:
            polled_at = self.clock.now()
            poll = self._poll_alarms(watcher)
            now = self.clock.now()
            if poll is not None and poll.firing:
                raise _Rollback(f"alarm fired on {dep.to_colour}: {poll.describe_firing()}")
            if poll is None or not poll.all_ok:
                unknown_since = now if unknown_since is None else unknown_since
                if now - unknown_since >= self.settings.alarm_grace_seconds:
                    state = "unreadable" if poll is None else "INSUFFICIENT_DATA or missing"
                    raise _Rollback(
                        f"alarm state {state} for {now - unknown_since:g}s; failing closed"
                    )
            else:
                unknown_since = None
            self.emit(
                "bake.poll",
                f"{step.percent}% on {dep.to_colour}: alarms "
                f"{'OK' if unknown_since is None else 'not yet known'}, "
                f"{max(0.0, deadline - now):.0f}s left",
            )
            request = self._pending_request(doc)
            if request == "abort":
                raise _Rollback("aborted by zdd abort", status="aborted")
            if request == "promote" and (gate_since is not None or not step.gate):
                self._clear_request(doc)
                if gate_since is None:
                    return "finish"
                self.emit("gate.passed", f"gate at {step.percent}% passed by zdd promote", dep=dep)
                break
            self._heartbeat()
            if now >= deadline and unknown_since is None:
                if not step.gate:
                    break
                if gate_since is None:
                    gate_since = now
                    dep.status = "waiting_gate"
                    self.emit(
                        "gate.waiting",
                        f"baked {step.percent}%: waiting for `zdd promote` (or `zdd abort`)",
                        "warning",
                        dep=dep,
                    )
                    self._save(doc)
                elif now - gate_since >= self.settings.gate_timeout_seconds:
                    raise _Rollback(
                        f"gate not promoted within {self.settings.gate_timeout_seconds:g}s"
                    )
            # A fixed cadence: the next poll is P after this one started, so the
            # work done between polls does not stretch the interval.
            wait = polled_at + self.settings.poll_seconds - self.clock.now()
            remaining = deadline - self.clock.now()
            if remaining > 0:
                wait = min(wait, remaining)
            self.clock.sleep(max(wait, 0.0))
        dep.status = "in_progress"
        dep.baked_index = index
        self._save(doc)
        return "baked"

    def _pending_request(self, doc: JournalDoc) -> str | None:
        """Requests from `zdd promote` / `zdd abort` arrive through the store."""
        latest = self.store.load()
        mine = doc.current
        theirs = latest.current
        if mine is None or theirs is None or theirs.id != mine.id or not theirs.request:
            return None
        doc.version = latest.version
        mine.request = theirs.request
        return theirs.request

    def _clear_request(self, doc: JournalDoc) -> None:
        assert doc.current is not None
        doc.current.request = None
        self._save(doc)

    def _finish_now(self, doc: JournalDoc, state: ListenerState) -> Deployment:
        dep = doc.current
        assert dep is not None
        self.emit("promote.now", "promoted by zdd promote: moving all traffic now", dep=dep)
        if dep.weights.get(dep.to_colour) != 100:
            self._move(doc, state, weights_for(dep.to_colour, 100), "step")
        dep.step_index = len(dep.schedule) - 1
        return self._promoted(doc)

    def _promoted(self, doc: JournalDoc) -> Deployment:
        dep = doc.current
        assert dep is not None
        final = self._read_checked(dep)  # read back the end state once more
        dep.status, dep.finished_at, dep.request = "promoted", self.clock.now(), None
        self.emit(
            "deployment.promoted",
            f"{dep.to_colour} is live ({format_weights(final.weights)}); "
            f"{dep.from_colour} kept warm for rollback",
            "success",
            dep=dep,
        )
        doc.archive_current()
        self._save(doc)
        try:
            self.shifter.point_test_listener(dep.from_colour)
        except _aws_errors() as exc:
            self.emit("test_listener.failed", f"test listener not repointed: {exc}", "warning")
        self._run_hooks("post_promote", dep, fatal=False)
        return dep

    def _rollback(
        self, doc: JournalDoc, state: ListenerState | None, rollback: _Rollback
    ) -> Deployment:
        """All weight back to the stable colour, verified; then raise ReleaseFailed."""
        dep = doc.current
        assert dep is not None
        stable = dep.from_colour
        self.emit(
            "rollback.start", f"rolling back to {stable}: {rollback.reason}", "error", dep=dep
        )
        target = weights_for(stable, 100)
        # The last state AWS confirmed supplies the action to modify (stickiness and
        # all); ModifyListener's answer verifies the result, as for every step.
        current = state or self._last_state or self.shifter.read()
        moving = current.weights != target
        # One write ahead (status and intent together), one write after.
        dep.status = "rolling_back"
        if moving:
            dep.pending = Intent(
                before=dict(current.weights), after=target, reason="rollback", at=self.clock.now()
            )
        journal_ok = True
        try:
            self._save(doc)
        except StoreError:
            journal_ok = False  # roll back anyway: moving weight away is always safe
        if moving:
            back = self.shifter.set_weights(current, target)
            self._last_state = back
            self.emit(
                "rollback.verified",
                f"rollback: {format_weights(back.weights)} verified",
                "success",
                dep=dep,
                weights=dict(back.weights),
            )
        dep.weights = target
        dep.pending = None
        dep.status = rollback.status
        dep.finished_at = self.clock.now()
        dep.outcome_reason = rollback.reason
        self.emit(
            "rollback.done",
            f"rolled back: {stable} has all traffic again ({rollback.reason})",
            "error",
            dep=dep,
        )
        doc.archive_current()
        if journal_ok:
            try:
                self._save(doc)
            except StoreError:
                journal_ok = False
        self._run_hooks("on_rollback", dep, fatal=False)
        if not journal_ok:
            raise StoreError(
                f"rolled back to {stable}, but the journal could not be written: {rollback.reason}"
            )
        raise ReleaseFailed(f"release rolled back to {stable}: {rollback.reason}")

    def _run_hooks(self, phase: str, dep: Deployment, *, fatal: bool) -> None:
        hooks = getattr(self.hooks, phase)
        if not hooks:
            return
        env = {
            "ZDD_PHASE": phase,
            "ZDD_DEPLOYMENT_ID": dep.id,
            "ZDD_FROM_COLOUR": dep.from_colour,
            "ZDD_TO_COLOUR": dep.to_colour,
            "ZDD_RELEASE": dep.release or "",
        }
        for result in run_hooks(hooks, cwd=self.hooks_cwd, extra_env=env):
            if result.ok:
                self.emit(f"hook.{phase}", f"{phase} hook {result.command[0]}: ok", dep=dep)
                continue
            message = f"{phase} hook {' '.join(result.command)} failed: {result.detail}"
            self.emit(f"hook.{phase}.failed", message, "error", dep=dep)
            if fatal:
                raise ReleaseFailed(f"{message}; no weight was moved")
