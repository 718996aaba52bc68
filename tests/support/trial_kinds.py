"""The fault-trial kinds of issue 24 (seeds from ``BASE_TRIALS`` on), each a small
planner and runner registered in ``NEW_KINDS``:

* ``exact_split``: a person sets a near split (199:1, 999:1, one unit more on a colour)
  at a point before the run's last reading of the listener. zdd must either report
  drift (exit 4) and leave the person's weights alone, or end where its journal says.
* ``racing_requests``: `zdd abort` and `zdd promote` from other processes, in some
  order, while the run holds the listener. An accepted abort is never downgraded: the
  deployment ends rolled back, and every later promote is refused (exit 3).
* ``undo_interrupted``: after a promotion, a `zdd rollback` meets an exception, a stop
  signal or an HTTP fault. `zdd abort`/`promote` refuse the unfinished undo (exit 3,
  nothing moves); `zdd resume` finishes it backward; the next `zdd rollback` has nothing
  to undo.
* ``hook_trickle`` (``tests.support.trial_hooks``): a release's http hook meets a server
  that trickles its body for longer than the hook's timeout, at ``pre_traffic``, at a
  split or after the promotion, maybe while the new colour's alarm fires. The run ends
  without waiting for the trickle, renews its lease meanwhile, and a fatal hook rolls back.

A new kind is one planner and one runner added to ``NEW_KINDS``; the trial count grows
by ``PER_NEW_KIND``.
"""

from __future__ import annotations

import functools
import random
import socket
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from generator.colours import Colour, other_colour
from generator.errors import InputError, RefusedError, ReleaseFailed
from generator.journal.model import JournalDoc, Step
from generator.journal.protocol import Owner
from generator.rollout.engine.engine import Engine, ReleaseSpec
from tests.support.fault_points import FaultPoints, raise_fault, send_signal, wrap_run
from tests.support.faults import FAULT_KINDS, Fault
from tests.support.invariant import (
    Ending,
    Verdict,
    check_ending,
    check_finished,
    last_finished,
    live_colour,
)
from tests.support.trial_hooks import plan_hook_trickle, run_hook_trickle

if TYPE_CHECKING:
    from tests.support.trials import FakeClock, TrialPlan, TrialResult, Trials

BASE_TRIALS = 320  # seeds 0..319: the original kinds, plans unchanged
PER_NEW_KIND = 40
REQUEST_ORDERS = (
    ("abort", "promote"),
    ("promote", "abort"),
    ("abort", "promote", "promote"),
    ("promote", "abort", "promote"),
    ("abort",),
)
UNDO_FAULTS = ("exception", "http", "signal")


def near_split(weights: dict[Colour, int], variant: int) -> dict[Colour, int]:
    """What a person sets by hand: one weight unit away from ``weights``."""
    live = live_colour(weights)
    if live is not None:
        return {live: (199, 999)[variant % 2], other_colour(live): 1}
    heavier = max(weights, key=lambda c: weights[c])
    return {c: w + (1 if c == heavier else 0) for c, w in weights.items()}


# -- exact_split -------------------------------------------------------------------


def plan_exact_split(trials: Trials, plan: TrialPlan, rng: random.Random) -> TrialPlan:
    trace = trials.trace(plan.store, plan.steps)
    last_read = max(i for i, where in enumerate(trace) if where == "before router.read") + 1
    return plan.with_(point=rng.randint(1, last_read), variant=rng.randint(0, 1))


def run_exact_split(trials: Trials, plan: TrialPlan) -> TrialResult:
    world = trials.world
    human: dict[Colour, int] = {}

    def meddle() -> None:
        human.update(near_split(world.weights(), plan.variant))
        world.router.set_weights(world.router.read(), human)

    points = FaultPoints()
    points.arm(plan.point, meddle)
    run = trials.run_shift(plan, points)
    doc, weights = run.store.load(), world.weights()
    dep = doc.current
    unfinished = dep is not None and not dep.terminal
    if run.ending.code == 4:
        verdict = Verdict()
        if weights != human:
            verdict.lies.append(f"drift (exit 4), but the person's {human} became {weights}")
    else:
        verdict = check_ending(weights, doc, run.ending, world.env.live_colour)
    if run.ending.code == 4 and not unfinished:
        world.reset()  # the person decides: back to where the journal says
        return trials.result(plan, run.ending, verdict, points.fired)
    must = dep.from_colour if unfinished and dep is not None else None
    _then_finish(trials, plan, run, verdict, must)
    return trials.result(plan, run.ending, verdict, points.fired)


# -- racing_requests -----------------------------------------------------------------


def plan_racing(trials: Trials, plan: TrialPlan, rng: random.Random) -> TrialPlan:
    trace = trials.trace(plan.store, plan.steps)
    moves = [i for i, where in enumerate(trace) if where == "before router.set_weights"]
    point = rng.randint(moves[0] + 1, len(trace))
    return plan.with_(point=point, requests=rng.choice(REQUEST_ORDERS))


def run_racing(trials: Trials, plan: TrialPlan) -> TrialResult:
    world = trials.world
    answers: list[tuple[str, BaseException | None]] = []

    def race() -> None:
        clock = _clock()
        store = world.store(plan.store, plan.seed, clock, faulty=False)
        for what in plan.requests:
            owner = Owner.current(what)
            engine = trials.engine(store, clock, owner, faulty=False)
            answers.append((what, _attempt(functools.partial(engine.request, what))))  # type: ignore[arg-type]

    points = FaultPoints()
    points.arm(plan.point, race)
    run = trials.run_shift(plan, points, live_owner=True)
    doc = run.store.load()
    verdict = check_ending(world.weights(), doc, run.ending, world.env.live_colour)
    accepted = [i for i, (what, error) in enumerate(answers) if what == "abort" and not error]
    for what, error in answers[accepted[0] + 1 :] if accepted else []:
        if what == "promote" and not (isinstance(error, RefusedError) and error.exit_code == 3):
            verdict.lies.append(f"`zdd promote` after an accepted abort answered {error!r}")
    dep = doc.current
    from_colour = dep.from_colour if dep is not None else None
    _then_finish(trials, plan, run, verdict, from_colour if accepted else None)
    last = last_finished(run.store.load())
    if accepted and last is not None and last.status == "promoted":
        verdict.lies.append(f"abort accepted ({answers}), but {last.id} ended promoted")
    if accepted and run.ending.code == 0:
        verdict.lies.append("abort accepted, but the run exited 0")
    return trials.result(plan, run.ending, verdict, points.fired)


# -- undo_interrupted ----------------------------------------------------------------


def plan_undo(trials: Trials, plan: TrialPlan, rng: random.Random) -> TrialPlan:
    total, calls = trials.undo_shape(plan.store)
    how = rng.choice(UNDO_FAULTS)
    fault = None
    if how == "http":
        operations = ["ModifyListener", "DescribeListeners"]
        operations += ["GetItem", "PutItem"] if plan.store == "dynamodb" else []
        operation = rng.choice([op for op in operations if calls.get(op)])
        fault = Fault(
            operation,
            rng.choice(FAULT_KINDS),
            nth=rng.randint(1, calls[operation]),
            times=rng.choice((1, 2)),
            delay=trials.world.read_timeout * 2,
        )
    return plan.with_(
        point=rng.randint(1, total), how=how, fault=fault, requests=(rng.choice(UNDO_ASKS),)
    )


UNDO_ASKS = ("abort", "promote")


def run_undo(trials: Trials, plan: TrialPlan) -> TrialResult:
    world = trials.world
    points = FaultPoints()
    if plan.how == "exception":
        points.arm(plan.point, raise_fault(f"injected at point {plan.point}"))
    elif plan.how == "signal":
        points.arm(plan.point, send_signal(plan.signum))
    undo = trials.run_undo(plan, points)
    clock, ending, store = undo.clock, undo.ending, undo.store
    previous = world.env.live_colour
    promoted = other_colour(previous)
    doc = store.load()
    verdict = check_undo_ending(world.weights(), doc, ending, promoted)
    clock.t += 3600  # the run is over: its lease has long expired
    dep = doc.current
    if dep is not None and not dep.terminal:
        before = world.weights()
        what = plan.requests[0]
        engine = trials.engine(store, clock, Owner.current(what), faulty=False)
        error = _attempt(lambda: engine.request(what))  # type: ignore[arg-type]
        if not (isinstance(error, RefusedError) and error.exit_code == 3):
            verdict.lies.append(f"`zdd {what}` of an unfinished undo answered {error!r}")
        if world.weights() != before:
            verdict.lies.append(f"`zdd {what}` of an unfinished undo moved {before} to traffic")
        error = _attempt(trials.engine(store, clock, Owner.current("resume"), faulty=False).resume)
        if error is not None:
            verdict.stuck.append(f"`zdd resume` of the undo failed: {error!r}")
    last = last_finished(store.load())
    if last is not None and not last.is_undo:  # never journalled: the operator retries
        error = _attempt(lambda: _revert(trials.engine(store, clock, _owner(), faulty=False)))
        if error is not None:
            verdict.stuck.append(f"`zdd rollback` again failed: {error!r}")
    end = check_finished(world.weights(), store.load(), must_end_on=previous)
    verdict.lies += end.lies
    verdict.stuck += end.stuck
    last = last_finished(store.load())
    if last is None or not last.is_undo or last.status != "rolled_back":
        verdict.lies.append(f"after the undo, the journal's last word is {last}")
    error = _attempt(lambda: _revert(trials.engine(store, clock, _owner(), faulty=False)))
    if not isinstance(error, InputError) or live_colour(world.weights()) != previous:
        verdict.lies.append(f"the next `zdd rollback` answered {error!r}: {world.weights()}")
    return trials.result(plan, ending, verdict, points.fired + undo.injected)


def check_undo_ending(
    weights: dict[Colour, int], doc: JournalDoc, ending: Ending, promoted: Colour
) -> Verdict:
    """Right after an interrupted `zdd rollback`: unfinished and explained, or finished
    and true, or never journalled (users still on the promoted colour, exit not 0)."""
    verdict = Verdict()
    dep = doc.current
    if dep is not None and not dep.terminal:
        if ending.escaped:
            verdict.lies.append(f"an exception escaped an undo in flight: {ending.message}")
        explained = [dep.weights]
        if dep.pending is not None:
            explained += [dep.pending.before, dep.pending.after]
        if weights not in explained:
            verdict.lies.append(f"undo {dep.id} left {dep.status}, listener {weights}")
        if ending.code == 0:
            verdict.lies.append(f"exit 0 while the undo {dep.id} is {dep.status}")
        return verdict
    last = last_finished(doc)
    expected = last.ended_on if last is not None else promoted
    if live_colour(weights) != expected:
        verdict.lies.append(f"journal says {last and last.status} but the listener has {weights}")
    if last is not None and not last.is_undo and ending.code == 0:
        verdict.lies.append("exit 0, but the undo was never journalled")
    return verdict


# -- shared ----------------------------------------------------------------------------


def _then_finish(
    trials: Trials, plan: TrialPlan, run: Any, verdict: Verdict, must: Colour | None
) -> None:
    """`zdd resume` (or `zdd abort`, when the error says so), then the invariant again."""
    final = trials.finish(plan, run.clock, run.store, run.ending)
    verdict.lies += final.lies
    verdict.stuck += final.stuck
    if not final.stuck:
        end = check_finished(trials.world.weights(), run.store.load(), must_end_on=must)
        verdict.lies += end.lies
        verdict.stuck += end.stuck


def _attempt(call: Callable[[], object]) -> BaseException | None:
    try:
        call()
    except (ReleaseFailed, Exception) as exc:
        return None if isinstance(exc, ReleaseFailed) else exc
    return None


def _revert(engine: Engine) -> object:
    return engine.revert(reason="trial", prepare=lambda run, colour: None)


def _owner() -> Owner:
    return Owner(uuid.uuid4().hex[:12], socket.gethostname(), 0, "rollback")


def _clock() -> FakeClock:
    from tests.support.trials import FakeClock

    return FakeClock()


def promote_first(trials: Trials, plan: TrialPlan, clock: FakeClock) -> None:
    """The promotion a trial's `zdd rollback` undoes, made without faults."""
    store = trials.world.store(plan.store, plan.seed, clock, faulty=False)
    engine = trials.engine(store, clock, Owner.current("shift"), faulty=False)
    engine.shift(ReleaseSpec([Step(percent=100, bake_seconds=10)], "steps"))


def undo_engine(trials: Trials, plan: TrialPlan, clock: FakeClock, points: FaultPoints) -> Engine:
    store = trials.world.store(plan.store, plan.seed, clock, faulty=True)
    owner = Owner(uuid.uuid4().hex[:12], socket.gethostname(), trials.dead, "rollback")
    return Engine(wrap_run(trials.engine(store, clock, owner, faulty=True).ctx, points))


Planner = Callable[["Trials", "TrialPlan", random.Random], "TrialPlan"]
Runner = Callable[["Trials", "TrialPlan"], "TrialResult"]
NEW_KINDS: dict[str, tuple[Planner, Runner]] = {
    "exact_split": (plan_exact_split, run_exact_split),
    "racing_requests": (plan_racing, run_racing),
    "undo_interrupted": (plan_undo, run_undo),
    "hook_trickle": (plan_hook_trickle, run_hook_trickle),
}
