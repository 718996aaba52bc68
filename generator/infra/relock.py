"""``zdd lock``: the stack's provider lock file, refreshed on purpose and only then.

Every plan uses the committed lock file as it is (``provision.plan_stack``); this is the
one place that rewrites it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from generator.config import Environment
from generator.files import SMALL_STATE, atomic_write, read_capped
from generator.infra.provider_lock import (
    LOCK_FILE,
    LockPlan,
    configured_mirror,
    lock_plan,
    read_committed_lock,
)
from generator.infra.render import generate
from generator.infra.terraform import Echo, Terraform


def refresh_provider_lock(
    env: Environment,
    committed: Path,
    *,
    platforms: list[str] | None = None,
    echo: Echo | None = None,
    terraform: type[Terraform] = Terraform,
) -> LockPlan:
    """``zdd lock``: ``terraform providers lock`` for the environment's platforms (from the
    configured filesystem mirror, else the registry), written to the committed lock file.

    Locked afresh, as if the file were deleted and written again: the newest version the
    stack's constraints allow, and only checksums Terraform verified now (Terraform's own
    ``providers lock`` would keep every old checksum, a wrong one included). Runs in a
    scratch copy of the stack, so ``build/ENV`` and its state are not touched; the next
    plan renders the new lock file into the stack."""
    read_committed_lock(committed)  # a committed path that is not a regular file: refused now
    with tempfile.TemporaryDirectory(prefix="zdd-lock-") as scratch:
        stack_dir = Path(scratch)
        generate(env, stack_dir)
        tf = terraform(stack_dir, echo=echo)
        plan = lock_plan(platforms or env.terraform.platforms, configured_mirror(tf.env))
        tf.get_modules()  # `providers lock` reads the whole configuration, modules included
        tf.lock_providers(plan.platforms, plan.fs_mirror)
        text = read_capped(stack_dir / LOCK_FILE, SMALL_STATE, "provider lock file")
    atomic_write(committed, text)
    return plan
