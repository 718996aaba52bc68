"""Provisioning use cases: plan a stack under the guard, apply a guarded plan, put a
version on the idle colour.

Which colour is live is read from AWS by a ``LiveReader`` the caller hands in, so
this layer never depends on the traffic engine.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.aws import aws_errors
from generator.colours import Colour, other_colour
from generator.config import Environment, display_path, is_image_tag
from generator.errors import (
    AwsError,
    InputError,
    NoStackOutputs,
    PlanRefused,
    StateUnreadable,
    TerraformError,
)
from generator.files import kind_of
from generator.infra.guard import Verdict, judge, refusal_message
from generator.infra.outputs import StackOutputs, load_outputs
from generator.infra.plan import PlanSummary, load_plan
from generator.infra.provider_lock import (
    keep_first_lock,
    read_committed_lock,
)
from generator.infra.render import RenderedStack, generate
from generator.infra.running import SpecObserver, rendered_specs
from generator.infra.spec import ColourSpec, spec_diff
from generator.infra.terraform import Echo, Limits, Terraform

OUTPUTS_FILE = "zdd-outputs.json"
PLAN_FILE = "zdd-release.tfplan"  # deploy's own plan, beside the one `zdd plan` saves
SAVED_PLAN = "zdd.tfplan"

SPLIT = (
    "the listener is split between colours: finish or abort the deployment in progress "
    "(`zdd resume`, `zdd abort`); a split made by hand needs a person to put all the weight "
    "on one colour and record it with `zdd adopt --live COLOUR --reason TEXT`"
)
LiveReader = Callable[[StackOutputs], "Colour | None"]
"""Reads the listener of a stack and returns the colour with all the weight (None: split)."""


@dataclass(frozen=True)
class GuardedPlan:
    plan_file: Path
    summary: PlanSummary
    verdict: Verdict
    changes: bool = True  # terraform plan found something to change
    specs: dict[Colour, ColourSpec] | None = None  # what each colour was rendered from
    recorded: bool = True  # False: a stack of an older zdd, which recorded no colour spec

    def enforce(self, *, allow_live_changes: bool = False) -> None:
        """Raise PlanRefused unless the guard accepted the plan (or the user accepts downtime)."""
        if not self.verdict.accepted and not allow_live_changes:
            raise PlanRefused(refusal_message(self.verdict) + self.upgrade_note())

    def spec_changes(self) -> list[str]:
        """What the idle colour would run differently from the live one (``infra.spec``)."""
        if self.specs is None:
            return []
        live = self.verdict.live
        return spec_diff(self.specs[live], self.specs[other_colour(live)])

    def upgrade_note(self) -> str:
        """The one-time step when a stack of an older zdd cannot be planned as it runs."""
        if self.recorded:
            return ""
        return (
            "; this stack was applied by a zdd that recorded no colour spec, so the live "
            "colour was rendered from what ECS and its target group report plus the "
            "environment file for the rest (health_check.grace_period_seconds when ECS does "
            "not report it): put those fields back as they were for one release, then change "
            "them in the next (the release records both colours' specs)"
        )


def applied_outputs(stack_dir: Path, outputs_file: Path | None = None) -> StackOutputs | None:
    """Outputs from ``outputs_file``, else from the stack's state; None if never applied."""
    if outputs_file is not None:
        return load_outputs(outputs_file)
    if not stack_dir.is_dir():
        return None
    return read_state_outputs(Terraform(stack_dir), stack_dir)


def read_state_outputs(tf: Terraform, stack_dir: Path) -> StackOutputs | None:
    """``terraform output`` of the stack; None only for an empty state (a first apply).

    Any failure (an unreadable remote state, a network error, a backend not initialised)
    is ``StateUnreadable``: taking it for "never applied" would protect the colour the
    environment file names instead of the one that is live.
    """
    try:
        return tf.output()
    except NoStackOutputs:
        return None
    except TerraformError as exc:
        raise StateUnreadable(str(stack_dir), str(exc)) from None


def live_colour(
    env: Environment,
    stack_dir: Path,
    read_live: LiveReader,
    *,
    live: Colour | None = None,
    outputs_file: Path | None = None,
    first_apply: bool = False,
) -> Colour:
    """``live`` if given, else the colour with all the weight on the listener.

    With ``first_apply`` a stack with no outputs yet (nothing applied) has no live
    colour in AWS: the environment's ``live_colour`` is the one to protect.
    """
    if live is not None:
        return live
    outputs = applied_outputs(stack_dir, outputs_file)
    if outputs is None:
        if first_apply:
            return env.live_colour
        raise InputError(
            "cannot tell the live colour: no stack outputs yet; pass --live or --outputs"
        )
    found = read_live(outputs)
    if found is None:
        raise InputError(SPLIT)
    return found


def plan_stack(
    env: Environment,
    stack_dir: Path,
    plan_file: Path,
    read_live: LiveReader,
    *,
    live: Colour | None = None,
    outputs_file: Path | None = None,
    echo: Echo | None = None,
    observe: SpecObserver | None = None,
    version: str | None = None,
    terraform: type[Terraform] | None = None,
    provider_lock: Path | None = None,
) -> GuardedPlan:
    """Render, init, plan, show; then the guard's verdict (not yet enforced).

    With ``version``, that image tag goes onto the idle colour (as ``deploy`` does),
    so the saved plan is a release that CI can review and then apply as it is. The
    stack's outputs and its listener are read once. The live colour is rendered from
    the spec it runs (``observe``: read back from AWS); the idle one from the file with
    ``version``, else it keeps its own (``infra.running.rendered_specs``).
    ``provider_lock``: the committed provider lock file, used as it is (and kept there on
    a first plan).
    """
    if version is not None:
        check_version_tag(version)
    tf = (terraform or Terraform)(stack_dir, echo=echo, lock_timeout="60s", limits=limits_of(env))
    lock = _init_locked(env, tf, stack_dir, provider_lock, echo)
    outputs = (
        load_outputs(outputs_file)
        if outputs_file is not None
        else read_state_outputs(tf, stack_dir)
    )
    colour = live or _live_of(env, outputs, read_live)
    specs, recorded = rendered_specs(env, outputs, colour, observe or _nothing, version)
    generate(env, stack_dir, specs, provider_lock=lock)
    plan_path = _absolute(plan_file)
    changes = tf.plan(plan_path)
    summary = tf.show_plan(plan_path, save_json=plan_json_path(plan_path))
    return GuardedPlan(plan_path, summary, judge(summary, colour), changes, specs, recorded)


def _nothing(outputs: StackOutputs, colour: Colour) -> dict[str, object]:
    """An observer that reads nothing: the record is trusted unchecked (tests, --outputs)."""
    return {}


def _init_locked(
    env: Environment, tf: Terraform, stack_dir: Path, committed: Path | None, echo: Echo | None
) -> str | None:
    """Render with the committed provider lock file and ``init`` (read-only when there is
    one; before reading outputs: a remote state needs its backend). Without one, the lock
    file init wrote becomes the committed one. Returns its text (the caller renders the
    stack again with each colour's spec, and the manifest records the copy)."""
    lock = read_committed_lock(committed) if committed is not None else None
    generate(env, stack_dir, provider_lock=lock)
    tf.init(backend=True, lockfile_readonly=lock is not None)
    if committed is None or lock is not None or not keep_first_lock(stack_dir, committed):
        return lock
    if echo is not None:
        echo(f"zdd: wrote {display_path(committed)} (the providers terraform chose): commit it")
    return read_committed_lock(committed)


def _live_of(env: Environment, outputs: StackOutputs | None, read_live: LiveReader) -> Colour:
    """The colour with all the weight; before any apply, the environment's live colour
    (the one to protect)."""
    if outputs is None:
        return env.live_colour
    found = read_live(outputs)
    if found is None:
        raise InputError(SPLIT)
    return found


def guard_saved_plan(
    env: Environment,
    stack_dir: Path,
    plan_file: Path,
    read_live: LiveReader,
    *,
    live: Colour | None = None,
    outputs_file: Path | None = None,
    echo: Echo | None = None,
) -> GuardedPlan:
    """The guard's verdict on a plan saved earlier (before applying exactly that plan)."""
    plan_path = _absolute(plan_file)
    _check_plan_file(plan_file)
    summary = Terraform(stack_dir, echo=echo, limits=limits_of(env)).show_plan(plan_path)
    colour = live_colour(
        env, stack_dir, read_live, live=live, outputs_file=outputs_file, first_apply=True
    )
    return GuardedPlan(plan_path, summary, judge(summary, colour))


def judge_plan_file(
    env: Environment,
    stack_dir: Path,
    plan_json: Path,
    read_live: LiveReader,
    *,
    live: Colour | None = None,
    outputs_file: Path | None = None,
) -> GuardedPlan:
    """The guard alone, on ``terraform show -json`` output produced anywhere."""
    summary = load_plan(plan_json)
    colour = live_colour(env, stack_dir, read_live, live=live, outputs_file=outputs_file)
    return GuardedPlan(plan_json, summary, judge(summary, colour))


def _check_plan_file(plan_file: Path) -> None:
    """A saved plan that is missing or not a file is bad input, before terraform runs."""
    try:
        mode = os.stat(plan_file).st_mode
    except OSError:
        raise InputError(
            f"{plan_file}: no such plan file; save one with `zdd plan` "
            "(default: build/ENV/zdd.tfplan)"
        ) from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{plan_file}: a plan file must be a regular file, not {kind_of(mode)}")


def _absolute(path: Path) -> Path:
    # terraform runs in the stack directory: a relative plan path must not move with it.
    return path if path.is_absolute() else Path.cwd() / path


def apply_guarded(
    plan: GuardedPlan, stack_dir: Path, *, echo: Echo | None = None, limits: Limits | None = None
) -> None:
    """Apply exactly the saved plan the guard judged (within ``limits``, default Limits())."""
    Terraform(stack_dir, echo=echo, lock_timeout="60s", limits=limits).apply(plan.plan_file)


def limits_of(env: Environment) -> Limits:
    """The time limits of the environment's terraform runs (its ``terraform`` section)."""
    runs = env.terraform
    return Limits(
        init=runs.init_timeout_seconds,
        plan=runs.plan_timeout_seconds,
        apply=runs.apply_timeout_seconds,
        heartbeat=runs.heartbeat_seconds,
    )


def saved_plan_path(stack_dir: Path) -> Path:
    """Where ``zdd plan`` saves its plan by default, and ``apply`` looks for it: in the stack
    directory (``build/ENV``, ignored by git), never the repository's root."""
    return stack_dir / SAVED_PLAN


def plan_json_path(plan_file: Path) -> Path:
    """Where the plan's JSON is written: beside it, ``NAME.json``."""
    return plan_file.with_name(plan_file.name + ".json")


def generate_as_deployed(
    env: Environment,
    stack_dir: Path,
    observe: SpecObserver | None = None,
    read_live: LiveReader | None = None,
    provider_lock: Path | None = None,
    warn: Echo | None = None,
) -> tuple[RenderedStack, list[str]]:
    """``zdd generate``: once the stack exists, each colour as it runs (a release, `zdd plan
    --version`, puts the file's spec on the idle colour). ``warn`` hears when it cannot.

    Only rendering: when the state cannot be read (say a remote backend not initialised
    yet) or the listener is split, the file's spec is rendered for both colours; ``zdd
    plan`` reads the state and checks what runs before any apply.
    """
    try:
        outputs = applied_outputs(stack_dir)
    except (StateUnreadable, InputError):
        outputs = None
    lock = read_committed_lock(provider_lock) if provider_lock is not None else None
    specs = None  # the file's spec for both colours
    try:
        live = read_live(outputs) if outputs is not None and read_live is not None else None
        if outputs is not None and live is not None:
            specs, _ = rendered_specs(env, outputs, live, observe or _nothing)
    except aws_errors(AwsError, InputError) as exc:  # unreachable: render the file's spec
        if warn is not None:
            warn(
                f"zdd: what the live colour runs could not be read ({exc}); rendered the "
                "environment file's spec for both colours: `zdd plan` checks before applying"
            )
    return generate(env, stack_dir, specs, provider_lock=lock)


def check_version_tag(version: str) -> str:
    if not is_image_tag(version):
        raise InputError(f"--version: {version!r} is not a valid image tag")
    return version


def put_version_on_idle(
    env: Environment,
    version: str,
    stack_dir: Path,
    read_live: LiveReader,
    *,
    echo: Echo | None = None,
    terraform: type[Terraform] = Terraform,
    observe: SpecObserver | None = None,
    provider_lock: Path | None = None,
) -> StackOutputs:
    """``plan_stack`` with ``version`` on the idle colour, the guard enforced, then apply;
    return the stack's outputs (also written to ``OUTPUTS_FILE`` for ``--outputs``).

    The live colour keeps the spec it runs (recorded, checked with ``observe``); the idle
    colour gets the environment file's spec with ``version``.
    """
    check_version_tag(version)
    stack_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_stack(
        env,
        stack_dir,
        stack_dir.resolve() / PLAN_FILE,
        read_live,
        echo=echo,
        observe=observe,
        version=version,
        terraform=terraform,
        provider_lock=provider_lock,
    )
    plan.enforce()
    tf = terraform(stack_dir, echo=echo, lock_timeout="60s", limits=limits_of(env))
    if plan.changes:
        tf.apply(plan.plan_file)
    outputs = tf.output()
    (stack_dir / OUTPUTS_FILE).write_text(outputs.to_terraform_json(), encoding="utf-8")
    return outputs
