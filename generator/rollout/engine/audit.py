"""Who ran a release and where it stood: what the journal and every event say about it.

The user and the CI job page come from the variables CI systems set; ``ZDD_ACTOR``
and ``ZDD_CI_URL`` override them when a pipeline knows better.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping

from generator.events import Snapshot
from generator.journal.model import Actor, Deployment
from generator.journal.protocol import Owner

USER_VARIABLES = ("ZDD_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID", "USER")


def ci_url(environ: Mapping[str, str]) -> str | None:
    """The page of the CI job running zdd, when the CI system tells."""
    get = environ.get
    if get("ZDD_CI_URL"):
        return get("ZDD_CI_URL")
    if get("GITHUB_RUN_ID") and get("GITHUB_REPOSITORY"):
        server = get("GITHUB_SERVER_URL") or "https://github.com"
        return f"{server}/{get('GITHUB_REPOSITORY')}/actions/runs/{get('GITHUB_RUN_ID')}"
    for variable in ("CI_JOB_URL", "BUILD_URL", "CIRCLE_BUILD_URL", "BUILDKITE_BUILD_URL"):
        if get(variable):
            return get(variable)
    if get("SYSTEM_COLLECTIONURI") and get("SYSTEM_TEAMPROJECT") and get("BUILD_BUILDID"):
        return (
            f"{get('SYSTEM_COLLECTIONURI')}{get('SYSTEM_TEAMPROJECT')}"
            f"/_build/results?buildId={get('BUILD_BUILDID')}"
        )
    return None


def detect_actor(command: str, environ: Mapping[str, str] | None = None) -> Actor:
    """The person (or CI job) running ``command`` now."""
    env = os.environ if environ is None else environ
    user = next((env[v] for v in USER_VARIABLES if env.get(v)), None)
    if user is None:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
    return Actor(user=user, host=socket.gethostname(), command=command, ci_url=ci_url(env))


def current_step(dep: Deployment) -> int:
    """1-based step whose weights were verified last; counts a step as soon as it is verified."""
    target = dep.weights.get(dep.to_colour)
    matched = [i for i, step in enumerate(dep.schedule) if step.percent == target]
    reached = matched[0] + 1 if matched and dep.status != "rolling_back" else 0
    return max(dep.step_index + 1, reached)


def snapshot(dep: Deployment, owner: Owner | None = None) -> Snapshot:
    """Where ``dep`` stands, for the events that report on it."""
    actor = dep.actor
    return Snapshot(
        id=dep.id,
        release=dep.release,
        from_colour=dep.from_colour,
        to_colour=dep.to_colour,
        weights=dict(dep.weights),
        step=current_step(dep),
        steps=len(dep.schedule),
        status=dep.status,
        strategy=dep.strategy,
        lock=f"{owner.command} (pid {owner.pid} on {owner.host})" if owner else None,
        actor=actor.user if actor else None,
        ci_url=actor.ci_url if actor else None,
    )
