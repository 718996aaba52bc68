"""Hook stages of a deployment (pre_traffic, post_promote, on_rollback)."""

from __future__ import annotations

from generator.errors import ReleaseFailed
from generator.hooks import run_hooks
from generator.journal.model import Deployment
from generator.rollout.context import RunContext

STAGES = ("pre_traffic", "post_promote", "on_rollback")


def run_stage(ctx: RunContext, stage: str, dep: Deployment, *, fatal: bool) -> None:
    """Run the stage's hooks in order; a failure stops the release only when ``fatal``."""
    hooks = getattr(ctx.hooks, stage)
    if not hooks:
        return
    env = {
        "ZDD_PHASE": stage,
        "ZDD_DEPLOYMENT_ID": dep.id,
        "ZDD_FROM_COLOUR": dep.from_colour,
        "ZDD_TO_COLOUR": dep.to_colour,
        "ZDD_RELEASE": dep.release or "",
    }
    for result in run_hooks(hooks, cwd=ctx.hooks_cwd, extra_env=env):
        if result.ok:
            ctx.emit(f"hook.{stage}", f"{stage} hook {result.command[0]}: ok", dep=dep)
            continue
        message = f"{stage} hook {' '.join(result.command)} failed: {result.detail}"
        ctx.emit(f"hook.{stage}.failed", message, "error", dep=dep)
        if fatal:
            raise ReleaseFailed(f"{message}; no weight was moved")
