"""Hook stages of a deployment: pre_traffic, post_test_traffic, pre_step, post_step,
post_promote, on_rollback. Hooks of every kind run through ``ctx.hook_runner``, watched
(``watch.run_watched``): the lease is renewed and a split is polled while they run."""

from __future__ import annotations

import contextlib

from generator.config.rollout import AnyHook
from generator.errors import ReleaseFailed, ZddError
from generator.events.core import HOOK_STAGES
from generator.hooks import HookRunner
from generator.hooks.command import HookResult
from generator.journal.model import Deployment, JournalDoc
from generator.journal.protocol import update
from generator.rollout.engine.context import RunContext
from generator.rollout.engine.decisions import Rollback
from generator.rollout.engine.watch import run_watched


def run_stage(
    ctx: RunContext, stage: str, dep: Deployment, *, fatal: bool, step: int | None = None
) -> None:
    """Run the stage's hooks in order; a failure stops the release only when ``fatal``."""
    assert stage in HOOK_STAGES, stage
    hooks = getattr(ctx.hooks, stage)
    if not hooks:
        return
    env = {
        "ZDD_PHASE": stage,
        "ZDD_DEPLOYMENT_ID": dep.id,
        "ZDD_FROM_COLOUR": dep.from_colour,
        "ZDD_TO_COLOUR": dep.to_colour,
        "ZDD_RELEASE": dep.release or "",  # TAG+DIGEST of the spec (infra.spec)
        "ZDD_VERSION": (dep.release or "").split("+", 1)[0],  # the image tag alone
    }
    if step is not None:
        env["ZDD_STEP"] = str(step + 1)
        env["ZDD_STEP_PERCENT"] = str(dep.schedule[step].percent)
    journalled = len(dep.events)
    try:
        for result in _run(ctx, hooks, env, dep, stage, fatal):
            if result.ok:
                ctx.emit(f"hook.{stage}", f"{stage} hook {result.command[0]}: ok", dep=dep)
                continue
            message = f"{stage} hook {' '.join(result.command)} failed: {result.detail}"
            ctx.emit(f"hook.{stage}.failed", message, "error", dep=dep)
            if fatal:
                if step is not None:
                    raise Rollback(message)
                raise ReleaseFailed(f"{message}; no weight was moved")
    finally:
        if dep.terminal:
            _journal_late(ctx, dep, journalled)


def _run(
    ctx: RunContext,
    hooks: list[AnyHook],
    env: dict[str, str],
    dep: Deployment,
    stage: str,
    fatal: bool,
) -> list[HookResult]:
    runner = ctx.hook_runner or HookRunner(cwd=ctx.hooks_cwd)
    return run_watched(
        ctx,
        dep,
        lambda cancel: runner.run(
            hooks, env, dep.to_colour, now=ctx.clock.now, sleep=ctx.clock.sleep, cancel=cancel
        ),
        stage=stage,
        fatal=fatal,
    )


def _journal_late(ctx: RunContext, dep: Deployment, since: int) -> None:
    """Hooks that run after a deployment was archived: their outcomes join its record."""
    late = dep.events[since:]

    def add(doc: JournalDoc) -> None:
        for archived in reversed(doc.history):
            if archived.id == dep.id:
                archived.events.extend(late)
                return

    if late:
        with contextlib.suppress(ZddError):  # the release is over; a hook's record is best effort
            update(ctx.store, add)
