"""The traffic engine: start, drive, resume and finish the deployment of one listener.

Orchestration only. The router moves weights, the health signals vouch for the
new colour (``bake``), moves are written ahead and rollback is verified
(``rollback``), and the store keeps the journal and the lock. Nothing here
knows boto3: ``wiring.build_engine`` hands in an ALB router and CloudWatch signals.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generator.colours import Colour, other_colour
from generator.config import Hooks
from generator.errors import (
    DriftError,
    InputError,
    LockHeld,
    RefusedError,
    ReleaseFailed,
    StoreError,
    ZddError,
)
from generator.events import EventBus
from generator.journal.model import Deployment, JournalDoc, Step
from generator.journal.store import DeploymentStore, Owner, update
from generator.rollout.bake import bake, preflight
from generator.rollout.context import Clock, EngineSettings, RunContext, SystemClock
from generator.rollout.rollback import Rollback, move, reconcile, roll_back
from generator.rollout.routing import ListenerState, TrafficRouter, format_weights, weights_for
from generator.rollout.schedule import describe_schedule
from generator.rollout.signals import HealthSignal
from generator.rollout.stages import run_stage


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
        router: TrafficRouter,
        signals: Sequence[HealthSignal],
        store: DeploymentStore,
        settings: EngineSettings,
        events: EventBus | None = None,
        clock: Clock | None = None,
        owner: Owner | None = None,
        hooks: Hooks | None = None,
        hooks_cwd: Path | None = None,
    ) -> None:
        self.ctx = RunContext(
            router=router,
            signals=list(signals),
            store=store,
            settings=settings,
            events=events or EventBus(),
            clock=clock or SystemClock(),
            owner=owner or Owner.current("zdd"),
            hooks=hooks or Hooks(),
            hooks_cwd=hooks_cwd or Path.cwd(),
        )

    @property
    def store(self) -> DeploymentStore:
        return self.ctx.store

    @property
    def events(self) -> EventBus:
        return self.ctx.events

    # -- public operations ------------------------------------------------

    def shift(self, spec: ReleaseSpec, *, break_lock: bool = False) -> Deployment:
        """Start a release; return the finished deployment or raise (rolled back...)."""
        ctx = self.ctx
        self._acquire(force=break_lock)
        try:
            doc = ctx.store.load()
            if doc.current is not None and not doc.current.terminal:
                raise RefusedError(
                    f"deployment {doc.current.id} is {doc.current.status}: "
                    "run `zdd resume` to finish it or `zdd abort` to roll it back"
                )
            doc.archive_current()
            state = ctx.read()
            stable = state.live
            if stable is None:
                raise DriftError(
                    f"listener {state.arn} is split ({format_weights(state.weights)}) but the "
                    "journal has no deployment in progress; a human must decide"
                )
            target = spec.to or other_colour(stable)
            if target == stable:
                ctx.emit("shift.noop", f"{target} already has all traffic; nothing to do")
                dep = self._new_deployment(spec, stable, target, state)
                dep.status, dep.finished_at = "promoted", ctx.clock.now()
                return dep
            ctx.emit("preflight.start", f"pre-flight: {target} alarms and health")
            preflight(ctx, target)
            dep = self._new_deployment(spec, stable, target, state)
            doc.current = dep
            ctx.emit(
                "deployment.start",
                f"deployment {dep.id}: {stable} -> {target} by {spec.strategy}: "
                f"{describe_schedule(spec.schedule)}",
                dep=dep,
                release=spec.release,
            )
            run_stage(ctx, "pre_traffic", dep, fatal=True)
            ctx.save(doc)
            return self._drive(doc, state)
        finally:
            self._release()

    def resume(self, *, break_lock: bool = False) -> Deployment | None:
        """Finish the deployment in the journal, or complete its rollback."""
        dep = self.ctx.store.load().current
        if dep is None or dep.terminal:
            return None
        self._acquire(take_over=True, force=break_lock)
        try:
            doc = self.ctx.store.load()
            dep = doc.current
            if dep is None or dep.terminal:
                return None
            state = reconcile(self.ctx, doc)
            self.ctx.emit(
                "deployment.resume", f"resuming deployment {dep.id} ({dep.status})", dep=dep
            )
            if dep.status == "rolling_back" or dep.request == "abort":
                roll_back(self.ctx, doc, Rollback("rollback completed by zdd resume"))
            return self._drive(doc, state)
        finally:
            self._release()

    def request(self, what: Literal["promote", "abort"]) -> Deployment:
        """``zdd promote`` / ``zdd abort``: tell the running zdd, or act when none runs."""
        ctx = self.ctx
        dep = ctx.store.load().current
        if dep is None or dep.terminal:
            raise InputError(f"no deployment in progress to {what}")
        try:
            self._acquire(take_over=True)
        except LockHeld:
            # A live run holds the listener: it reads the request within one poll.
            def ask(d: JournalDoc) -> None:
                if d.current is not None and not d.current.terminal:
                    d.current.request = what

            update(ctx.store, ask)
            ctx.emit("request", f"{what} requested; the running zdd acts within one poll")
            return dep
        try:
            doc = ctx.store.load()
            if doc.current is None or doc.current.terminal:
                raise InputError(f"no deployment in progress to {what}")
            dep = doc.current
            if what == "abort":
                # Abort is a human's call: roll back whatever the signals say.
                with contextlib.suppress(ReleaseFailed):
                    roll_back(ctx, doc, Rollback("aborted by zdd abort", status="aborted"))
                return dep
            self._finish_now(doc, reconcile(ctx, doc))
            return dep
        finally:
            self._release()

    # -- the machine ------------------------------------------------------

    def _acquire(self, *, take_over: bool = False, force: bool = False) -> None:
        self.ctx.store.acquire(self.ctx.owner, take_over=take_over, force=force)
        self.ctx.last_heartbeat = self.ctx.clock.now()

    def _release(self) -> None:
        with contextlib.suppress(ZddError):
            self.ctx.store.release(self.ctx.owner)

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
            started_at=self.ctx.clock.now(),
            migrations=list(spec.migrations),
        )

    def _drive(self, doc: JournalDoc, state: ListenerState) -> Deployment:
        """Run the remaining steps; any failure of the new colour (or of zdd) rolls back."""
        try:
            return self._steps(doc, state)
        except Rollback as rollback:
            roll_back(self.ctx, doc, rollback)
        except (DriftError, ReleaseFailed):
            raise  # drift needs a human; ReleaseFailed was already rolled back
        except KeyboardInterrupt:
            roll_back(self.ctx, doc, Rollback("interrupted (SIGINT/SIGTERM/SIGHUP)"))
        except StoreError as exc:
            roll_back(self.ctx, doc, Rollback(f"journal unwritable: {exc}"))
        except LockHeld as exc:
            roll_back(self.ctx, doc, Rollback(f"lost the listener lock: {exc}"))
        except Exception as exc:
            roll_back(self.ctx, doc, Rollback(f"unexpected failure while shifting: {exc}"))

    def _steps(self, doc: JournalDoc, state: ListenerState) -> Deployment:
        ctx = self.ctx
        dep = doc.current
        assert dep is not None
        fresh: ListenerState | None = state
        if dep.step_index >= 0 and dep.baked_index < dep.step_index:
            if bake(ctx, doc, dep.step_index) == "finish":
                return self._finish_now(doc, fresh or ctx.read_checked(dep))
            fresh = None
        for index in range(dep.step_index + 1, len(dep.schedule)):
            step = dep.schedule[index]
            base = fresh or ctx.read_checked(dep)
            fresh = move(ctx, doc, base, weights_for(dep.to_colour, step.percent), "step")
            dep.step_index = index
            ctx.save(doc)
            if bake(ctx, doc, index) == "finish":
                return self._finish_now(doc, fresh)
            fresh = None
        return self._promoted(doc)

    def _finish_now(self, doc: JournalDoc, state: ListenerState) -> Deployment:
        dep = doc.current
        assert dep is not None
        self.ctx.emit("promote.now", "promoted by zdd promote: moving all traffic now", dep=dep)
        if dep.weights.get(dep.to_colour) != 100:
            move(self.ctx, doc, state, weights_for(dep.to_colour, 100), "step")
        dep.step_index = len(dep.schedule) - 1
        return self._promoted(doc)

    def _promoted(self, doc: JournalDoc) -> Deployment:
        ctx = self.ctx
        dep = doc.current
        assert dep is not None
        final = ctx.read_checked(dep)  # read back the end state once more
        dep.status, dep.finished_at, dep.request = "promoted", ctx.clock.now(), None
        ctx.emit(
            "deployment.promoted",
            f"{dep.to_colour} is live ({format_weights(final.weights)}); "
            f"{dep.from_colour} kept warm for rollback",
            "success",
            dep=dep,
        )
        doc.archive_current()
        ctx.save(doc)
        try:
            ctx.router.point_test_listener(dep.from_colour)
        except Exception as exc:  # cosmetic: users are already on the new colour
            ctx.emit("test_listener.failed", f"test listener not repointed: {exc}", "warning")
        run_stage(ctx, "post_promote", dep, fatal=False)
        return dep
