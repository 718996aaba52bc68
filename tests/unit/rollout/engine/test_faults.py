"""Faults at the engine's phases, deterministically: stop signals once and twice, lost
replies, exceptions, lost leases, AWS gone. After each, the invariant holds and
`zdd resume` finishes what was left, never moving on after an interrupt."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from generator import interrupts
from generator.demo.injectors import CallbackSink
from generator.errors import (
    AwsError,
    InputError,
    LeaseLost,
    ListenerNotFound,
    PreflightRefused,
    ReleaseFailed,
    RollbackUnfinished,
)
from generator.journal.local import LocalStore
from generator.journal.model import Step
from generator.journal.protocol import DeploymentStore, Owner
from generator.rollout.engine.engine import Engine, ReleaseSpec
from tests.conftest import engine_for
from tests.support.fault_points import FaultPoints, raise_fault, send_signal, wrap_run
from tests.support.invariant import Ending, check_ending, check_finished

BLUE = {"blue": 100, "green": 0}
GREEN = {"blue": 0, "green": 100}
SPEC = ReleaseSpec([Step(percent=10, bake_seconds=60), Step(percent=100, bake_seconds=60)], "steps")


@pytest.fixture(autouse=True)
def stop_signals() -> Iterator[None]:
    """zdd's signal handling, as the CLI installs it; the test runner's afterwards."""
    saved = {s: signal.getsignal(s) for s in interrupts.STOP_SIGNALS}
    interrupts.install()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    interrupts.reset()


def local(clock, tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)


def faulty(aws, clock, store: DeploymentStore) -> tuple[Engine, FaultPoints]:
    points = FaultPoints()
    return Engine(wrap_run(engine_for(aws, clock, store).ctx, points)), points


def run(call) -> BaseException | None:  # type: ignore[no-untyped-def]
    try:
        call()
    except (Exception, KeyboardInterrupt) as exc:
        return exc
    return None


def resume(aws, clock, store: DeploymentStore) -> None:
    """What the operator runs next; a rollback it completes raises ReleaseFailed."""
    interrupts.reset()
    clock.t += 3600  # the stopped run's lease has long expired
    with contextlib.suppress(ReleaseFailed):
        engine_for(aws, clock, store).resume()


# -- stale state in rollback ------------------------------------------------------


def test_stop_while_the_first_modify_listener_is_in_flight_rolls_back(aws, clock, tmp_path) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)
    # AWS applied 90/10; SIGTERM arrives before zdd has read the reply.
    points.on("after router.set_weights", send_signal(signal.SIGTERM))
    with pytest.raises(ReleaseFailed, match="interrupted") as caught:
        engine.shift(SPEC)
    assert caught.value.exit_code == 1
    assert aws.weights() == BLUE  # rollback read the listener instead of trusting its cache
    doc = store.load()
    assert doc.current is None and doc.history[-1].status == "rolled_back"
    assert engine_for(aws, clock, store).resume() is None
    interrupts.reset()
    assert engine_for(aws, clock, store).shift(SPEC).status == "promoted"  # nothing stuck


def test_a_modify_listener_whose_reply_was_lost_is_settled_by_reading(aws, clock, tmp_path) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)
    lost = AwsError("ModifyListener on the listener failed: Read timeout on endpoint URL")
    points.on("after router.set_weights", raise_fault_of(lost))
    with pytest.raises(ReleaseFailed, match="Read timeout"):
        engine.shift(SPEC)
    assert aws.weights() == BLUE
    kinds = [e.kind for e in engine.events.history]
    assert "rollback.verified" in kinds
    assert store.load().history[-1].weights == BLUE


def test_a_rollback_after_a_verified_move_decides_and_intends_in_one_write(
    aws, clock, tmp_path
) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)
    fault_at: list[int] = []

    def boom() -> None:
        fault_at.append(len(points.trace))
        raise_fault("boom")()

    def fail_next_heartbeat() -> None:  # baking at 10 %, the move verified
        nth = points.trace.count("before store.heartbeat") + 1
        points.on("before store.heartbeat", boom, nth=nth)

    points.on("after router.set_weights", fail_next_heartbeat)
    seen: list[object] = []
    points.on("before router.set_weights", lambda: seen.append(store.load().current), nth=2)
    with pytest.raises(ReleaseFailed, match="boom"):
        engine.shift(SPEC)
    assert aws.weights() == BLUE
    after_fault = points.trace[fault_at[0] :]
    moves = [p for p in after_fault if p.startswith("before ") and "heartbeat" not in p]
    # one journal write (decision and intent), the listener read, then the move
    assert moves[:3] == ["before store.save", "before router.read", "before router.set_weights"]
    journalled = seen[0]
    assert journalled is not None and journalled.status == "rolling_back"  # type: ignore[attr-defined]
    assert journalled.pending.before == {"blue": 90, "green": 10}  # type: ignore[attr-defined]
    assert journalled.pending.after == BLUE  # type: ignore[attr-defined]


class Killed(BaseException):
    """kill -9: the process ends where it stands, nothing runs after it."""


def test_an_unwritten_decision_still_journals_the_intent_before_the_move(
    aws, clock, tmp_path
) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)

    def kill() -> None:
        raise Killed()

    def boom() -> None:
        saves = points.trace.count("before store.save")
        for k in (1, 2, 3):  # the decision write fails each time; the store then recovers
            points.on("before store.save", raise_fault("store down"), nth=saves + k)
        raise_fault("boom")()

    def after_the_first_verified_move() -> None:
        nth = points.trace.count("before store.heartbeat") + 1
        points.on("before store.heartbeat", boom, nth=nth)
        points.on("after router.set_weights", kill, nth=2)  # AWS applied the rollback

    points.on("after router.set_weights", after_the_first_verified_move)
    with pytest.raises(Killed):
        engine.shift(SPEC)
    journalled = store.load().current
    assert journalled is not None and journalled.status == "rolling_back"
    assert journalled.pending is not None and journalled.pending.after == BLUE
    resume(aws, clock, store)
    assert aws.weights() == BLUE
    assert store.load().history[-1].status == "rolled_back"


def raise_fault_of(exc: Exception):  # type: ignore[no-untyped-def]
    def act() -> None:
        raise exc

    return act


# -- second interrupt ---------------------------------------------------------------


@pytest.mark.parametrize("signum", interrupts.STOP_SIGNALS, ids=lambda s: s.name)
def test_two_signals_at_once_then_one_during_the_rollback(aws, clock, tmp_path, signum) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)
    points.on("after router.set_weights", send_signal(signum, times=2))
    points.on("before router.set_weights", send_signal(signal.SIGINT), nth=2)  # the rollback's
    with pytest.raises(ReleaseFailed, match="interrupted"):
        engine.shift(SPEC)
    assert aws.weights() == BLUE
    assert store.load().history[-1].status == "rolled_back"
    assert store.lock_info() is None
    assert engine_for(aws, clock, store).resume() is None  # never promotes what was stopped


# -- a stop signal or an exception at each phase -------------------------------------

# Each phase of a release with one fault; the integration suite's seeded trials cover
# every point of a run with every fault.
PHASES = [
    ("after store.acquire", 1, "SIGINT"),  # locked, nothing journalled
    ("after signal.alarms", 1, "SIGHUP"),  # pre-flight
    ("before store.save", 1, "SIGTERM"),  # the deployment's first journal write
    ("before store.save", 1, "exception"),
    ("after store.save", 2, "SIGHUP"),  # the first intent is written
    ("before router.set_weights", 1, "SIGINT"),
    ("after router.set_weights", 1, "exception"),
    ("after signal.alarms", 3, "SIGTERM"),  # baking the first step
    ("after signal.alarms", 3, "exception"),
    ("before store.heartbeat", 1, "SIGHUP"),  # the lease renewed before the next move
    ("before router.read", 2, "exception"),  # the drift check of the second step
    ("after router.set_weights", 2, "SIGINT"),  # all traffic moved, not yet read back
    ("before router.read", 3, "SIGTERM"),  # the read-back before the promotion
    ("before router.point_test_listener", 1, "exception"),  # promoted and journalled
    ("before store.release", 1, "SIGHUP"),
]


@pytest.mark.parametrize(
    ("where", "nth", "fault"), PHASES, ids=[f"{w}#{n}-{f}" for w, n, f in PHASES]
)
def test_a_fault_at_each_phase_keeps_the_invariant(
    aws, clock, tmp_path, where: str, nth: int, fault: str
) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)
    action = (
        raise_fault("injected") if fault == "exception" else send_signal(getattr(signal, fault))
    )
    points.on(where, action, nth)
    ending = Ending.of(run(lambda: engine.shift(SPEC)))
    assert points.fired == [where]
    doc = store.load()
    verdict = check_ending(aws.weights(), doc, ending, "blue")
    assert verdict.lies == []
    stopped_mid_release = doc.current is not None and not doc.current.terminal
    if stopped_mid_release:
        assert doc.current.status == "rolling_back"  # decided and journalled first
    resume(aws, clock, store)
    must_end_on = "blue" if stopped_mid_release else None
    final = check_finished(aws.weights(), store.load(), must_end_on=must_end_on)
    assert final.lies == [] and final.stuck == []


def test_an_exception_from_sleep_rolls_back(aws, clock, tmp_path) -> None:
    """`--poll nan` once made time.sleep raise after the first step: no rollback."""
    engine = engine_for(aws, clock, local(clock, tmp_path))

    def broken(c) -> None:  # type: ignore[no-untyped-def]
        if engine.store.load().current is not None:
            raise ValueError("sleep length must be non-negative")

    clock.on_sleep.append(broken)
    with pytest.raises(ReleaseFailed, match=r"unexpected failure.*sleep length"):
        engine.shift(SPEC)
    assert aws.weights() == BLUE


def test_a_signal_after_the_promotion_is_journalled_changes_nothing(aws, clock, tmp_path) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)
    points.on("before router.point_test_listener", send_signal(signal.SIGTERM))
    with pytest.raises(KeyboardInterrupt):
        engine.shift(SPEC)
    assert aws.weights() == GREEN
    assert store.load().history[-1].status == "promoted"


def test_an_abort_racing_with_a_journal_write_is_not_lost(aws, clock, tmp_path) -> None:
    store = local(clock, tmp_path)
    engine, points = faulty(aws, clock, store)
    other = engine_for(aws, clock, local(clock, tmp_path))  # `zdd abort` in another process
    points.on("before store.save", lambda: other.request("abort"), nth=3)
    with pytest.raises(ReleaseFailed, match="aborted"):
        engine.shift(SPEC)
    assert aws.weights() == BLUE
    assert store.load().history[-1].status == "aborted"


# -- AWS unreachable, listener gone, outputs of another stack -------------------------


class Unreachable:
    """A router whose AWS endpoint goes away on demand."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.down = False

    @property
    def arn(self) -> str:
        return self.inner.arn

    def _check(self) -> None:
        if self.down:
            raise AwsError("DescribeListeners on the listener failed: Could not connect")

    def read(self):  # type: ignore[no-untyped-def]
        self._check()
        return self.inner.read()

    def set_weights(self, base, weights):  # type: ignore[no-untyped-def]
        self._check()
        return self.inner.set_weights(base, weights)

    def point_test_listener(self, colour) -> None:  # type: ignore[no-untyped-def]
        self.inner.point_test_listener(colour)


def test_aws_unreachable_during_rollback_leaves_it_to_resume(aws, clock, tmp_path) -> None:
    store = local(clock, tmp_path)
    plain = engine_for(aws, clock, store).ctx
    router = Unreachable(plain.router)
    engine = Engine(replace(plain, router=router))
    clock.at(12, lambda: aws.set_alarm(aws.outputs.alarm_names["green"][0]))

    def cut(event) -> None:  # type: ignore[no-untyped-def]
        if event.kind == "rollback.start":
            router.down = True

    engine.events.sinks.append(CallbackSink(cut))
    with pytest.raises(RollbackUnfinished, match="zdd resume") as caught:
        engine.shift(SPEC)
    assert caught.value.exit_code == 1
    assert len(str(caught.value).splitlines()) == 1
    doc = store.load()
    assert doc.current is not None and doc.current.status == "rolling_back"
    assert aws.weights() == {"blue": 90, "green": 10}
    resume(aws, clock, store)
    assert aws.weights() == BLUE
    assert store.load().history[-1].status == "rolled_back"


def test_listener_and_target_groups_deleted_mid_bake_is_drift_everywhere(
    aws, clock, tmp_path
) -> None:
    store = local(clock, tmp_path)
    engine = engine_for(aws, clock, store)
    elbv2 = aws.client("elbv2")

    def tear_down() -> None:  # the listener, then its target groups
        elbv2.delete_listener(ListenerArn=aws.outputs.listener_arn)
        elbv2.delete_listener(ListenerArn=aws.outputs.test_listener_arn)
        for arn in aws.outputs.target_group_arns.values():
            elbv2.delete_target_group(TargetGroupArn=arn)

    clock.at(30, tear_down)
    with pytest.raises(ListenerNotFound, match="does not exist") as caught:
        engine.shift(SPEC)
    assert caught.value.exit_code == 4
    assert store.load().current is not None  # unfinished, never "rolled back"
    for call in (
        lambda: engine_for(aws, clock, store).resume(),
        lambda: engine_for(aws, clock, store).request("abort"),
    ):
        clock.t += 3600
        with pytest.raises(ListenerNotFound):
            call()
    assert store.load().current is not None


def test_outputs_of_another_stack_are_refused(aws, clock, tmp_path) -> None:
    from generator.config import Strategy
    from generator.rollout.views.status import gather_status
    from tests.unit.rollout.engine.test_recovery import AFTER, _left_behind, _set_listener

    store = local(clock, tmp_path)
    _left_behind(aws, store, clock, step_index=0, weights=dict(AFTER))
    _set_listener(aws, AFTER)
    other = aws.outputs.model_copy(update={"listener_arn": aws.outputs.test_listener_arn})
    wrong = engine_for(aws, clock, store, strategy=Strategy(), outputs=other)
    for call in (lambda: wrong.request("abort"), lambda: wrong.request("promote"), wrong.resume):
        with pytest.raises(InputError, match="outputs of the stack it was started on") as caught:
            call()
        assert caught.value.exit_code == 2
    with pytest.raises(InputError, match="outputs of the stack it was started on"):
        gather_status(aws.client("elbv2"), aws.client("cloudwatch"), other, store)
    assert aws.weights() == AFTER  # nothing touched
    assert store.load().current is not None


def test_a_colour_without_alarms_is_refused_unless_allowed(aws, clock, tmp_path) -> None:
    from generator.config import Strategy

    unwatched = aws.outputs.model_copy(update={"alarm_names": {"blue": [], "green": []}})

    def engine(allow: bool) -> Engine:
        strategy = Strategy(
            min_healthy_targets=0, allow_unwatched=allow, poll_seconds=5, alarm_grace_seconds=30
        )
        return engine_for(aws, clock, local(clock, tmp_path), strategy=strategy, outputs=unwatched)

    with pytest.raises(PreflightRefused, match="no rollback alarms") as caught:
        engine(False).shift(SPEC)
    assert caught.value.exit_code == 3
    assert aws.weights() == BLUE
    assert engine(True).shift(SPEC).status == "promoted"


# -- lease loss, with both stores ------------------------------------------------------


@pytest.fixture(params=["local", "dynamodb"])
def any_store(request, aws, clock, tmp_path) -> DeploymentStore:
    if request.param == "local":
        return local(clock, tmp_path)
    from generator.journal.dynamo import DynamoStore

    client = aws.client("dynamodb")
    table = f"zdd-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return DynamoStore(client, table, "shop", "staging", clock=clock.now)


def _delete_lock(store: DeploymentStore) -> None:
    if isinstance(store, LocalStore):
        store.lease_path.unlink()
    else:
        store.client.delete_item(TableName=store.table, Key={"pk": {"S": store.lock_key}})  # type: ignore[attr-defined]


def test_a_deleted_lock_is_taken_back_and_the_release_rolled_back(aws, clock, any_store) -> None:
    engine, points = faulty(aws, clock, any_store)
    points.on("after signal.alarms", lambda: _delete_lock(any_store), nth=3)  # mid-bake
    with pytest.raises(ReleaseFailed, match="lost the listener lock") as caught:
        engine.shift(SPEC)
    assert caught.value.exit_code == 1
    assert aws.weights() == BLUE
    assert any_store.load().history[-1].status == "rolled_back"
    assert any_store.lock_info() is None


def test_a_lock_taken_by_a_live_run_stops_this_one_without_touching_anything(
    aws, clock, any_store
) -> None:
    engine, points = faulty(aws, clock, any_store)
    thief = Owner("other-run", socket.gethostname(), os.getpid(), "resume")
    points.on("after signal.alarms", lambda: any_store.acquire(thief, force=True), nth=3)
    with pytest.raises(LeaseLost, match=r"other-run.*zdd resume") as caught:
        engine.shift(SPEC)
    assert caught.value.exit_code == 3
    theft = [i for i, where in enumerate(points.trace) if where == "after signal.alarms"][2]
    assert "before router.set_weights" not in points.trace[theft:]  # it never moved again
    assert aws.weights() == {"blue": 90, "green": 10}
    doc = any_store.load()
    assert doc.current is not None and doc.current.status == "in_progress"  # its intent kept
    lock = any_store.lock_info()
    assert lock is not None and lock.owner == "other-run"  # not ours to release
    any_store.release(thief)  # the other run ends
    dep = engine_for(aws, clock, any_store).resume()
    assert dep is not None and dep.status == "promoted"
    assert aws.weights() == GREEN


def test_a_concurrent_resume_with_break_lock_never_lets_two_runs_drive(
    aws, clock, any_store
) -> None:
    engine, points = faulty(aws, clock, any_store)
    resumer = engine_for(aws, clock, any_store)
    taken: list[int] = []

    def take_over() -> None:
        taken.append(len(points.trace))
        resumer.resume(break_lock=True)  # runs to its end meanwhile

    points.on("after signal.alarms", take_over, nth=3)
    with pytest.raises(LeaseLost) as caught:
        engine.shift(SPEC)
    assert caught.value.exit_code == 3
    assert "before router.set_weights" not in points.trace[taken[0] :]
    assert aws.weights() == GREEN  # the resumer promoted it
    assert any_store.load().history[-1].status == "promoted"
