"""What AWS cannot tell: the deployment journal, one document per service and environment.

The live colour and the weights are derived from the listener; the journal only
holds intent (what zdd is about to do), outcomes (what it verified), the
schedule, the events and the history.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticSerializationError

from generator.colours import Colour
from generator.errors import StoreError
from generator.journal.budget import REFUSALS_KEPT
from generator.journal.verdicts import CheckVerdict, StepVerdicts
from generator.timestamps import in_range, utc

SCHEMA = 2  # 2: older deployments live in archive records (``archived``); records have budgets

Status = Literal[
    "in_progress",  # moving traffic or baking
    "waiting_gate",  # baked; waits for `zdd promote`
    "rolling_back",
    "promoted",
    "rolled_back",
    "aborted",
]
TERMINAL: frozenset[str] = frozenset({"promoted", "rolled_back", "aborted"})
Request = Literal["promote", "abort"]
UNDO_STRATEGY = "rollback"  # the strategy of a `zdd rollback` of a promotion
_RANK: dict[str | None, int] = {None: 0, "promote": 1, "abort": 2}


def stronger_request(held: Request | None, asked: Request | None) -> Request | None:
    """The precedence of `zdd promote` and `zdd abort`, in one place: abort outranks
    promote, and once an abort is asked for nothing downgrades it. Every writer of
    ``Deployment.request`` (the requesting command, the running engine merging a
    conflicting write, a bake reading requests) combines them with this."""
    return asked if _RANK[asked] > _RANK[held] else held


class JournalModel(BaseModel):
    # JSON has no infinity: an infinite float would be written as null and read back
    # as something else. Refuse it when the model is built; one assigned later is
    # written as a string that does not read back, so ``dump_journal`` refuses it.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, ser_json_inf_nan="strings")

    @model_validator(mode="after")
    def _timestamps_in_range(self) -> Any:
        # Finite but past year 9999 (or before 1970): every date conversion would raise.
        for name in type(self).model_fields:
            if name in ("at", "since", "expires") or name.endswith("_at"):
                value = getattr(self, name)
                if isinstance(value, float | int) and not in_range(value):
                    raise ValueError(f"{name}: timestamp {value!r} is outside 1970..9999")
        return self


class Step(JournalModel):
    percent: int = Field(ge=0, le=100)
    bake_seconds: float = Field(ge=0)
    gate: bool = False


class Intent(JournalModel):
    """Written before a ModifyListener; cleared once the outcome is verified."""

    before: dict[Colour, int]
    after: dict[Colour, int]
    reason: str
    at: float


class JournalEvent(JournalModel):
    """One line of a deployment's story, kept in the journal."""

    at: float
    kind: str
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


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


class Actor(JournalModel):
    """Who started a run: a person, or the CI job that ran it."""

    user: str
    host: str = ""
    command: str = ""
    ci_url: str | None = None  # the CI job's page, when the run was a CI job

    def describe(self) -> str:
        return self.user + (f" ({self.ci_url})" if self.ci_url else "")

    @classmethod
    def detect(cls, command: str, environ: Mapping[str, str] | None = None) -> Actor:
        """The person (or CI job) running ``command`` now: the one place zdd works out
        who runs it. ``ZDD_ACTOR`` and ``ZDD_CI_URL`` override what CI systems set."""
        env = os.environ if environ is None else environ
        user = next((env[v] for v in USER_VARIABLES if env.get(v)), None)
        if user is None:
            try:
                user = getpass.getuser()
            except (KeyError, OSError):
                user = "unknown"
        return cls(user=user, host=socket.gethostname(), command=command, ci_url=ci_url(env))


class Handoff(JournalModel):
    """What `zdd warden` needs to end a deployment whose runner died, without its
    environment file: the policy, the stack outputs and strategy it ran with, where
    to notify. Written with the deployment; at most ``HANDOFF_LIMIT`` bytes."""

    on_orphan: Literal["rollback", "resume", "hold"] = "rollback"
    region: str
    lease_seconds: float
    outputs: dict[str, Any]  # the stack outputs contract, as ``--outputs`` takes it
    strategy: dict[str, Any] = Field(default_factory=dict)
    notify: dict[str, Any] = Field(default_factory=dict)  # the environment's ``webhooks``


class Deployment(JournalModel):
    id: str
    release: str | None = None
    strategy: str
    from_colour: Colour
    to_colour: Colour
    listener_arn: str
    schedule: list[Step]
    status: Status = "in_progress"
    step_index: int = -1  # last step whose weights were verified
    baked_index: int = -1  # last step whose bake completed
    weights: dict[Colour, int]  # last verified weights
    pending: Intent | None = None
    request: Request | None = None
    started_at: float
    finished_at: float | None = None
    outcome_reason: str | None = None
    migrations: list[str] = Field(default_factory=list)  # PATH@sha256:HASH under the folder
    changes: list[str] = Field(default_factory=list)  # what the release changed (spec diff)
    events: list[JournalEvent] = Field(default_factory=list)
    actor: Actor | None = None  # who ran it
    versions: dict[Colour, str] | None = None  # what each colour ran, from the stack
    verdicts: list[CheckVerdict] = Field(default_factory=list)  # latest, step being baked
    step_verdicts: list[StepVerdicts] = Field(default_factory=list)  # what decided each step
    zdd_version: str | None = None  # which zdd made this release (None: written by an older one)
    handoff: Handoff | None = None  # for `zdd warden` (None: too big, or an older zdd)

    def public(self) -> dict[str, Any]:
        """The deployment as zdd shows it (`--json` results, `zdd status --json`): without
        its hand-off record, whose notifications hold webhook URLs (their paths are secrets)."""
        return self.model_dump(exclude={"handoff"})

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_undo(self) -> bool:
        """A `zdd rollback` of a promotion: it only ever goes back, to ``to_colour``.

        Its direction survives every interruption: `zdd resume` finishes it as a rollback,
        `zdd promote` and `zdd abort` refuse it, and it never counts as a promotion.
        """
        return self.strategy == UNDO_STRATEGY

    @property
    def ended_on(self) -> Colour:
        """The colour with all the traffic once it finished."""
        return self.to_colour if self.status == "promoted" or self.is_undo else self.from_colour


class CapacityChange(JournalModel):
    """zdd resized a colour's ECS service: kept to account for what scaling down saved."""

    colour: Colour
    action: Literal["scale_down", "scale_up"]
    tasks: int  # tasks removed (scale_down) or started (scale_up)
    at: float
    reason: str = ""
    deployment: str | None = None


class Refusal(JournalModel):
    """A release refused before any weight moved (pre-flight, a pre-traffic hook, migrations)."""

    at: float
    stage: str  # preflight, pre_traffic, migrations
    reason: str
    release: str | None = None
    from_colour: Colour | None = None
    to_colour: Colour | None = None
    deployment_id: str | None = None  # set when the deployment had started (hooks)
    actor: Actor | None = None
    waited_seconds: float = 0.0  # how long it waited (for alarm data) before refusing


class JournalDoc(JournalModel):
    schema_version: int = SCHEMA
    service: str
    environment: str
    version: int = 0  # bumped on every write; conditional writes compare it
    current: Deployment | None = None
    # The most recent finished deployments, oldest first. The store moves older ones
    # to archive records 0 .. archived-1 (see journal/budget.py); history views read
    # them with ``journal.archive.load_full``.
    history: list[Deployment] = Field(default_factory=list)
    archived: int = 0
    # Migrations shipped by promoted deployments that were archived: the gate still
    # needs to know they ran.
    archived_migrations: list[str] = Field(default_factory=list)
    finalized_migrations: list[str] = Field(default_factory=list)
    refusals: list[Refusal] = Field(default_factory=list)
    capacity: list[CapacityChange] = Field(default_factory=list)

    def archive_current(self) -> None:
        """Move a finished deployment into the history (the store bounds what stays inline)."""
        if self.current is not None and self.current.terminal:
            self.history.append(self.current)
            self.current = None

    def record_refusal(self, refusal: Refusal) -> None:
        """Keep a refusal in the bounded audit log."""
        self.refusals = [*self.refusals, refusal][-REFUSALS_KEPT:]

    def last_promoted(self) -> Deployment | None:
        candidates = [d for d in [*self.history, self.current] if d and d.status == "promoted"]
        return candidates[-1] if candidates else None


def dump_journal(doc: JournalDoc, version: int, *, indent: int | None = None) -> str:
    """The JSON of ``doc`` at ``version``, checked to read back as the same document.

    A document that would not read back (a non-finite float set after the model was
    built, say) is refused before it is written: a journal that cannot be read
    would leave every later command saying "journal is corrupt".
    """
    try:
        text = doc.model_copy(update={"version": version}).model_dump_json(indent=indent)
    except PydanticSerializationError as exc:  # a lone surrogate has no UTF-8 form
        raise StoreError(f"journal not written: it cannot be encoded ({exc})") from None
    try:
        JournalDoc.model_validate_json(text)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise StoreError(f"journal not written: {where} would not read back") from None
    return text


class LockInfo(JournalModel):
    owner: str
    host: str
    pid: int
    since: float
    expires: float
    command: str = ""

    def describe(self) -> str:

        since = utc(self.since).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"{self.owner} (pid {self.pid} on {self.host}, {self.command or 'zdd'}) since {since}"
        )
