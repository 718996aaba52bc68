"""What AWS cannot tell: the deployment journal, one document per service and environment.

The live colour and the weights are derived from the listener; the journal only
holds intent (what zdd is about to do), outcomes (what it verified), the
schedule, the events and the history.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.colours import Colour

SCHEMA = 1
HISTORY_LIMIT = 100

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


class JournalModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    migrations: list[str] = Field(default_factory=list)
    events: list[JournalEvent] = Field(default_factory=list)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


class JournalDoc(JournalModel):
    schema_version: int = SCHEMA
    service: str
    environment: str
    version: int = 0  # bumped on every write; conditional writes compare it
    current: Deployment | None = None
    history: list[Deployment] = Field(default_factory=list)
    finalized_migrations: list[str] = Field(default_factory=list)

    def archive_current(self) -> None:
        """Move a finished deployment into the bounded history."""
        if self.current is not None and self.current.terminal:
            self.history.append(self.current)
            self.history = self.history[-HISTORY_LIMIT:]
            self.current = None

    def last_promoted(self) -> Deployment | None:
        candidates = [d for d in [*self.history, self.current] if d and d.status == "promoted"]
        return candidates[-1] if candidates else None


class LockInfo(JournalModel):
    owner: str
    host: str
    pid: int
    since: float
    expires: float
    command: str = ""

    def describe(self) -> str:
        import datetime as _dt

        since = _dt.datetime.fromtimestamp(self.since, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"{self.owner} (pid {self.pid} on {self.host}, {self.command or 'zdd'}) since {since}"
        )
