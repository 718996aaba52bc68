"""Render CI definitions for GitHub Actions or GitLab CI from the environments.

The same managed-file rules as stacks (``infra.render.write_stack``): everything
is rendered in memory first, unchanged files are not rewritten, files zdd wrote
before and no longer produces are removed, files it did not write never are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.config import load_environment
from generator.config.load import resolve_env_path
from generator.errors import InputError
from generator.infra.render import RenderedStack, write_stack
from generator.pipeline.model import CI_SYSTEMS, CiSystem, Pins, PipelineEnv, env_argument
from generator.pipeline.templates import jinja_env
from generator.rollout.engine.schedule import build_schedule

DEFAULT_OUT: dict[CiSystem, Path] = {
    "github": Path(".github") / "workflows",
    "gitlab": Path(".gitlab") / "zdd",
}
GITLAB_FILE = "pipeline.yml"


@dataclass(frozen=True)
class PipelineResult:
    files: list[str]
    removed: list[str]
    warnings: list[str]


def check_system(system: str) -> CiSystem:
    for known in CI_SYSTEMS:
        if system == known:
            return known
    raise InputError(f"CI system: expected {' or '.join(CI_SYSTEMS)} (got {system!r})")


def pipeline_envs(env_args: Sequence[str], cwd: Path) -> list[PipelineEnv]:
    """The environments given (names or paths), else every environments/*.yaml."""
    if env_args:
        paths = [resolve_env_path(arg, cwd) for arg in env_args]
    else:
        paths = sorted((cwd / "environments").glob("*.yaml"))
        if not paths:
            raise InputError("environments/: no *.yaml environment files; pass --env")
    found: dict[str, PipelineEnv] = {}
    for path in paths:
        env = load_environment(path, cwd)
        if env.name in found:
            raise InputError(f"{path.name}: a second file for environment {env.name!r}")
        schedule = build_schedule(env.strategy)
        found[env.name] = PipelineEnv(
            env=env,
            arg=env_argument(path, cwd),
            gate_count=sum(1 for step in schedule if step.gate),
            bake_seconds=sum(step.bake_seconds for step in schedule),
            database=env.database is not None,
        )
    return [found[name] for name in sorted(found)]


def render_pipeline(system: CiSystem, envs: Sequence[PipelineEnv], pins: Pins) -> RenderedStack:
    """File name -> content, nothing written yet."""
    jenv = jinja_env()
    context = {"pins": pins, "actions": pins.actions}
    files: dict[str, str] = {}
    if system == "github":
        release = jenv.get_template("github-release.yml.j2")
        control = jenv.get_template("github-control.yml.j2")
        for e in envs:
            files[f"zdd-{e.name}.yml"] = release.render(context, e=e)
            files[f"zdd-{e.name}-control.yml"] = control.render(context, e=e)
    else:
        template = jenv.get_template("gitlab.yml.j2")
        files[GITLAB_FILE] = template.render(context, envs=list(envs))
    return RenderedStack(files)


def generate_pipeline(
    system: str,
    env_args: Sequence[str],
    out_dir: Path | None,
    pins: Pins,
    cwd: Path | None = None,
) -> PipelineResult:
    """Load the environments, render the CI files, write them under the managed-file rules."""
    ci = check_system(system)
    base = cwd or Path.cwd()
    envs = pipeline_envs(env_args, base)
    rendered = render_pipeline(ci, envs, pins)
    removed = write_stack(rendered, out_dir or base / DEFAULT_OUT[ci])
    warnings = [w for e in envs for w in e.warnings()]
    return PipelineResult(sorted(rendered.files), removed, warnings)
