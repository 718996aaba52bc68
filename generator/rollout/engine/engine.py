"""The traffic engine: start, drive, resume and finish the deployment of one listener.

Orchestration only. The router moves weights, the health signals vouch for the
new colour (``bake``), moves are written ahead and rollback is verified
(``rollback``), and the store keeps the journal and the lock. Nothing here
knows boto3: ``wiring.build_engine`` hands in an ALB router and CloudWatch signals.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from generator import __version__
from generator.colours import Colour, other_colour
from generator.errors import (
    DriftError,
    InputError,
    ListenerNotFound,
    LockHeld,
    RefusedError,
    ReleaseFailed,
)
from generator.events import EventBus
from generator.journal.model import Deployment, JournalDoc, Step
from generator.journal.protocol import DeploymentStore
from generator.rollout.engine.bake import bake, preflight
from generator.rollout.engine.context import (
    Prepare,
    RunContext,
    RunState,
    check_journal,
    renewing,
)
from generator.rollout.engine.decisions import Rollback, refuse_downgrade
from generator.rollout.engine.failures import protected, record_promotion
from generator.rollout.engine.handoff import ask, take_over
from generator.rollout.engine.moves import move, reconcile, roll_back
from generator.rollout.engine.refusals import refusal_recorded
from generator.rollout.engine.revert import complete_revert, refuse_undo, revert_promotion
from generator.rollout.engine.schedule import describe_schedule
from generator.rollout.engine.stages import run_stage
from generator.rollout.ports import ListenerState, format_weights, weights_for


@dataclass
class ReleaseSpec:
    """What one run should do."""

    schedule: list[Step]
    strategy: str
    to: Colour | None = None
    release: str | None = None
    migrations: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # spec diff, live -> new (infra.spec)


class Engine:
    """Moves the traffic of one listener; everything external is handed in."""

    def __init__(self, ctx: RunContext) -> None:
        """``ctx``: the collaborators (``wiring.build_engine`` builds them for a stack on AWS)."""
        self.ctx = ctx
        self.state = RunState()  # fresh for each use case

    @property
    def store(self) -> DeploymentStore:
        return self.ctx.store

    @property
    def events(self) -> EventBus:
        return self.ctx.events

    # -- public operations ------------------------------------------------

    def shift(
        self, spec: ReleaseSpec, *, break_lock: bool = False, prepare: Prepare | None = None
    ) -> Deployment:
        """Start a release; return the finished deployment or raise (rolled back...).

        The listener is read once, under the lock, and that reading is checked against
        the journal, decides the target and is the base of the first move. ``prepare``
        makes the target ready first, under the lock too.
        """
        ctx = self.ctx
        self._acquire(force=break_lock)
        try:
            doc = self._idle_journal()
            state = self._read_idle_listener()
            stable = state.live
            assert stable is not None
            target = spec.to or other_colour(stable)
            if target == stable:
                ctx.emit("shift.noop", f"{target} already has all traffic; nothing to do")
                dep = self._new_deployment(spec, stable, target, state)
                dep.status, dep.finished_at = "promoted", ctx.clock.now()
                return dep
            if prepare is not None:
                prepare(renewing(ctx, self.state), target)
                doc = self._idle_journal()  # preparing may have journalled capacity changes
            actor = self.state.who(ctx)
            ctx.emit("preflight.start", f"pre-flight: {target} alarms and health")
            with refusal_recorded(ctx, doc, "preflight", spec.release, stable, target, actor=actor):
                preflight(ctx, target)
            dep = self._new_deployment(spec, stable, target, state)
            doc.current = dep
            ctx.emit(
                "deployment.start",
                f"deployment {dep.id}: {dep.release or 'traffic'} {stable} -> {target} "
                f"by {spec.strategy}: {describe_schedule(spec.schedule)}",
                dep=dep,
                release=dep.release,
                changes=list(dep.changes) or None,
            )
            for stage in ("pre_traffic", "post_test_traffic"):
                with refusal_recorded(
                    ctx, doc, stage, dep.release, stable, target, dep, actor=actor
                ):
                    run_stage(ctx, stage, dep, fatal=True)
            with refusal_recorded(
                ctx, doc, "first_move", dep.release, stable, target, dep, actor=actor
            ):
                state = self._unchanged_since(state)
            return self._drive(doc, state, journal_first=True)
        finally:
            self._release()

    def revert(
        self,
        *,
        reason: str,
        prepare: Prepare,
        release: Callable[[Colour], str | None] | None = None,
    ) -> Deployment:
        """``zdd rollback``: undo the last promotion (``revert.revert_promotion``)."""
        self.state = RunState()
        return revert_promotion(
            self.ctx, self.state, reason=reason, prepare=prepare, release=release
        )

    def resume(self, *, break_lock: bool = False, wait: bool = True) -> Deployment | None:
        """Finish the deployment in the journal, or complete its rollback. A holder of
        the lease that may be gone is waited for (``wait``) until its lease lapses."""
        dep = self.ctx.store.load().current
        if dep is None or dep.terminal:
            return None
        self._check_listener(dep)
        if wait:
            self._take_over(force=break_lock)
        else:
            self._acquire(take_over=True, force=break_lock)
        try:
            doc = self.ctx.store.load()
            dep = doc.current
            if dep is None or dep.terminal:
                return None
            state = self.state.listener = reconcile(self.ctx, doc)  # its one reading
            if dep.is_undo:  # a `zdd rollback` keeps its direction: finished as a rollback
                return complete_revert(self.ctx, self.state, doc, state, "zdd resume")
            self.ctx.emit(
                "deployment.resume", f"resuming deployment {dep.id} ({dep.status})", dep=dep
            )
            if dep.status == "rolling_back" or dep.request == "abort":
                why = Rollback("rollback completed by zdd resume")
                roll_back(self.ctx, doc, why, reading=state)
            # Written at once: a run that lost its lease to this one sees the journal
            # change under it and stops before its next move.
            return self._drive(doc, state, journal_first=True)
        finally:
            self._release()

    def request(self, what: Literal["promote", "abort"], *, wait: bool = False) -> Deployment:
        """``zdd promote`` / ``zdd abort``: tell the running zdd, or act when none runs.
        ``wait``: a holder that may be gone is waited for until its lease lapses
        (``handoff.ask``); without it, the request is journalled for it."""
        ctx = self.ctx
        dep = ctx.store.load().current
        if dep is None or dep.terminal:
            raise InputError(f"no deployment in progress to {what}")
        self._check_listener(dep)
        refuse_undo(dep, what)
        refuse_downgrade(dep, what)
        try:
            self._acquire(take_over=True)
        except LockHeld:
            if not wait:
                ask(ctx, what, dep.id, wait=False)
                return dep
            if not self._ask(what, dep.id):
                return dep  # the holder runs (or already acted): it reads the request
        try:
            doc = ctx.store.load()
            if doc.current is None or doc.current.terminal:
                raise InputError(f"no deployment in progress to {what}")
            dep = doc.current
            refuse_undo(dep, what)
            refuse_downgrade(dep, what)
            if what == "abort":
                # Abort is a human's call: roll back whatever the signals say.
                with contextlib.suppress(ReleaseFailed):
                    roll_back(ctx, doc, Rollback("aborted by zdd abort", status="aborted"))
                return dep
            done = protected(ctx, doc, lambda: self._finish_now(doc, reconcile(ctx, doc)))
            self._after_promotion(done)
            return done
        finally:
            self._release()

    # -- the machine ------------------------------------------------------

    def _acquire(self, *, take_over: bool = False, force: bool = False) -> None:
        self.ctx.store.acquire(self.ctx.owner, take_over=take_over, force=force)
        self.state = RunState(renewed_at=self.ctx.clock.now())

    def _take_over(self, *, force: bool = False, done: Callable[[], bool] | None = None) -> bool:
        """The lease now if its holder is provably gone, else once it lapses (counting down)."""
        taken = take_over(self.ctx, force=force, done=done)
        if taken:
            self.state = RunState(renewed_at=self.ctx.clock.now())
        return taken

    def _ask(self, what: Literal["promote", "abort"], dep_id: str) -> bool:
        """Journal the request; True once this run holds the lease instead (see ``ask``)."""
        if not ask(self.ctx, what, dep_id):
            return False
        self.state = RunState(renewed_at=self.ctx.clock.now())
        return True

    def _idle_journal(self) -> JournalDoc:
        """The journal, refused while a deployment is unfinished; a finished one archived."""
        doc = self.ctx.store.load()
        if doc.current is not None and not doc.current.terminal:
            then = "" if doc.current.is_undo else " or `zdd abort` to roll it back"
            raise RefusedError(
                f"deployment {doc.current.id} is {doc.current.status}: "
                f"run `zdd resume` to finish it{then}"
            )
        doc.archive_current()
        return doc

    def _read_idle_listener(self) -> ListenerState:
        """This run's one reading before its first move: all weight on one colour, as a
        journal without a deployment in progress says."""
        try:
            state = self._read()
        except ListenerNotFound as exc:
            raise InputError(f"{exc}; check the stack outputs (--outputs)") from None
        if state.live is None:
            raise DriftError(
                f"listener {state.arn} is split ({format_weights(state.weights)}) but the "
                "journal has no deployment in progress; a human must decide"
            )
        return state

    def _read(self) -> ListenerState:
        """DescribeListeners, remembered as the last state AWS confirmed to this run."""
        state = self.state.listener = self.ctx.read()
        return state

    def _unchanged_since(self, first: ListenerState) -> ListenerState:
        """Read again right before the first move: readiness, pre-flight and the
        pre-traffic hooks may have taken minutes since the reading under the lock, and a
        split set by hand meanwhile must not be overwritten (exact weights; exit 4)."""
        now = self._read()
        if now.weights != first.weights:
            raise DriftError(
                f"listener {now.arn} changed outside zdd before the first move: zdd read "
                f"{format_weights(first.weights)} under the lock, it has "
                f"{format_weights(now.weights)} now. Nothing was moved; a human must decide"
            )
        return now

    def _read_checked(self, dep: Deployment) -> ListenerState:
        return check_journal(self._read(), dep)

    def _release(self) -> None:
        # Best effort: a lease left behind expires, and `zdd resume` takes it over.
        with contextlib.suppress(Exception):
            self.ctx.store.release(self.ctx.owner)

    def _check_listener(self, dep: Deployment) -> None:
        """The outputs must name the listener the deployment was started on."""
        if dep.listener_arn != self.ctx.router.arn:
            raise InputError(
                f"deployment {dep.id} runs on listener {dep.listener_arn}, but the stack "
                f"outputs name {self.ctx.router.arn}: pass the outputs of the stack it was "
                "started on (--outputs); nothing was touched"
            )

    def _new_deployment(
        self, spec: ReleaseSpec, stable: Colour, target: Colour, state: ListenerState
    ) -> Deployment:
        return Deployment(
            id=uuid.uuid4().hex[:10],
            release=spec.release or self.ctx.versions.get(target),
            strategy=spec.strategy,
            from_colour=stable,
            to_colour=target,
            listener_arn=state.arn,
            schedule=spec.schedule,
            weights=dict(state.weights),
            started_at=self.ctx.clock.now(),
            migrations=list(spec.migrations),
            changes=list(spec.changes),
            actor=self.state.who(self.ctx),
            versions=dict(self.ctx.versions) or None,
            zdd_version=__version__,
            handoff=self.ctx.handoff,
        )

    def _drive(
        self, doc: JournalDoc, state: ListenerState, *, journal_first: bool = False
    ) -> Deployment:
        """Run the remaining steps; any failure of the new colour (or of zdd) rolls back
        (``failures.protected``), including a failure to write the journal first."""

        def work() -> Deployment:
            if journal_first:
                self.ctx.save(doc)
            return self._steps(doc, state)

        dep = protected(self.ctx, doc, work)
        self._after_promotion(dep)
        return dep

    def _steps(self, doc: JournalDoc, state: ListenerState) -> Deployment:
        ctx = self.ctx
        dep = doc.current
        assert dep is not None
        fresh: ListenerState | None = state
        if dep.step_index >= 0 and dep.baked_index < dep.step_index:
            if bake(ctx, self.state, doc, dep.step_index) == "finish":
                return self._finish_now(doc, fresh or self._read_checked(dep))
            fresh = None
        for index in range(dep.step_index + 1, len(dep.schedule)):
            step = dep.schedule[index]
            base = fresh or self._read_checked(dep)
            run_stage(ctx, "pre_step", dep, fatal=True, step=index)
            fresh = self._move(doc, base, weights_for(dep.to_colour, step.percent))
            dep.step_index = index
            ctx.save(doc)
            run_stage(ctx, "post_step", dep, fatal=True, step=index)
            if bake(ctx, self.state, doc, index) == "finish":
                return self._finish_now(doc, fresh)
            fresh = None
        return self._promoted(doc)

    def _finish_now(self, doc: JournalDoc, state: ListenerState) -> Deployment:
        dep = doc.current
        assert dep is not None
        self.ctx.emit("promote.now", "promoted by zdd promote: moving all traffic now", dep=dep)
        if state.weights != weights_for(dep.to_colour, 100):  # exact: 999:1 is not done
            self._move(doc, state, weights_for(dep.to_colour, 100))
        dep.step_index = len(dep.schedule) - 1
        return self._promoted(doc)

    def _move(
        self, doc: JournalDoc, base: ListenerState, weights: dict[Colour, int]
    ) -> ListenerState:
        self.state.heartbeat(self.ctx, force=True)  # never move forward without the lease
        state = self.state.listener = move(self.ctx, doc, base, weights, "step")
        return state

    def _promoted(self, doc: JournalDoc) -> Deployment:
        ctx = self.ctx
        dep = doc.current
        assert dep is not None
        final = self._read_checked(dep)  # read back the end state once more
        if dep.request == "abort":  # merged from a conflicting write: it outranks promote
            raise Rollback("aborted by zdd abort", status="aborted")
        dep.status, dep.finished_at, dep.request = "promoted", ctx.clock.now(), None
        ctx.emit(
            "deployment.promoted",
            f"{dep.to_colour} is live ({format_weights(final.weights)}); "
            f"{dep.from_colour} kept warm for rollback",
            "success",
            dep=dep,
        )
        record_promotion(ctx, doc)
        return dep

    def _after_promotion(self, dep: Deployment) -> None:
        """Cosmetic once the promotion is journalled: users are already on the new colour."""
        ctx = self.ctx
        try:
            ctx.router.point_test_listener(dep.from_colour)
        except Exception as exc:
            ctx.emit("test_listener.failed", f"test listener not repointed: {exc}", "warning")
        try:
            run_stage(ctx, "post_promote", dep, fatal=False)
        except Exception as exc:  # a bug, say in renewing the lease meanwhile: it stays promoted
            ctx.emit("hook.post_promote.failed", f"post_promote hooks stopped: {exc}", "warning")
