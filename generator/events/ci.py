"""zdd speaking CI natively: GitHub Actions summaries and annotations, GitLab sections.

Under GitHub Actions (``GITHUB_ACTIONS=true``) a release appends a Markdown summary
(steps, weights, verdicts, outcome) to ``$GITHUB_STEP_SUMMARY`` and turns refusals
and rollbacks into ``::error::`` annotations, warnings into ``::warning::``. Under
GitLab CI (``GITLAB_CI=true``) each step of a release is a collapsible section of
the job log. Both write to stderr (the runners read workflow commands there too),
so ``--json`` lines on stdout stay the machine interface.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from generator.events import Event, EventSink
from generator.mdtext import md_text

CiName = Literal["github", "gitlab"]


def detect(environ: Mapping[str, str] | None = None) -> CiName | None:
    """The CI system this process runs under, if any."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return None


def ci_sinks(environ: Mapping[str, str] | None = None) -> list[EventSink]:
    """The sinks that make zdd's output native to the CI system it runs under."""
    env = os.environ if environ is None else environ
    ci = detect(env)
    if ci == "github":
        summary = env.get("GITHUB_STEP_SUMMARY")
        return [GitHubSink(Path(summary) if summary else None)]
    if ci == "gitlab":
        return [GitLabSink()]
    return []


def workflow_command(kind: str, message: str, title: str = "zdd") -> str:
    """``::error title=T::message`` with GitHub's escaping of data and properties."""
    data = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    prop = title.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    prop = prop.replace(":", "%3A").replace(",", "%2C")
    return f"::{kind} title={prop}::{data}"


def _weights(event: Event) -> str:
    weights = event.data.get("weights")
    if isinstance(weights, Mapping):
        return " / ".join(f"{colour} {weights[colour]}%" for colour in sorted(weights))
    snapshot = getattr(event, "deployment", None)
    return snapshot.describe_weights() if snapshot is not None else ""


def _cell(text: str) -> str:
    return md_text(text)  # event messages carry hook output: plain text, never HTML


@dataclass
class _Row:
    weights: str
    bake: str = ""
    verdict: str = "moved"


@dataclass
class ReleaseSummary:
    """What a release did, gathered from its events, as Markdown."""

    title: str = "zdd"
    rows: list[_Row] = field(default_factory=list)
    outcome: str = ""
    notes: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # the release's spec diff

    def add(self, event: Event) -> None:
        kind = event.kind
        last = self.rows[-1] if self.rows else None
        if kind in ("deployment.start", "deployment.resume"):
            self.title = event.message
            changes = event.data.get("changes")
            if isinstance(changes, list):
                self.changes = [str(line) for line in changes]
        elif kind == "step.verified":
            if last is not None and last.verdict in ("moved", "baking", "signals OK"):
                last.verdict = "baked"
            self.rows.append(_Row(_weights(event)))
        elif kind == "bake.start" and last is not None:
            last.bake, last.verdict = event.message, "baking"
        elif kind == "bake.poll" and last is not None and last.verdict == "baking":
            last.verdict = "baking" if "not yet known" in event.message else "signals OK"
        elif kind in ("bake.passed", "gate.waiting", "gate.passed") and last is not None:
            last.verdict = event.message
        elif kind == "rollback.start":
            if last is not None:
                last.verdict = f"**rolled back**: {event.message}"
            self.outcome = f"rolled back: {event.message}"
        elif kind == "rollback.verified":
            self.rows.append(_Row(_weights(event), verdict="rollback verified"))
        elif kind in ("rollback.done", "deployment.promoted", "shift.noop", "deployment.refused"):
            if kind == "deployment.promoted" and last is not None and last.verdict != "baked":
                last.verdict = "baked"
            self.outcome = event.message
        elif event.level in ("error", "warning") and not kind.endswith(".poll"):
            self.notes.append(f"{event.level}: {event.message}")

    @property
    def empty(self) -> bool:
        return not (self.rows or self.outcome or self.notes)

    def markdown(self) -> str:
        lines = [f"### {_cell(self.title)}", ""]
        if self.changes:
            lines += ["Spec changes (secrets by ARN):", ""]
            lines += [f"- {_cell(line)}" for line in self.changes]
            lines.append("")
        if self.rows:
            lines += ["| step | weights | bake | verdict |", "|---|---|---|---|"]
            for n, row in enumerate(self.rows, 1):
                cells = (str(n), row.weights, row.bake, row.verdict)
                lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
            lines.append("")
        if self.outcome:
            lines += [f"**Outcome:** {_cell(self.outcome)}", ""]
        lines += [f"- {_cell(note)}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


class GitHubSink:
    """Annotations as refusals, rollbacks and warnings happen; the summary at close."""

    ERRORS = frozenset({"rollback.start", "deployment.refused"})
    # The outcome of a rollback is the command's own error, annotated once by the CLI.
    QUIET = frozenset({"rollback.done"})

    def __init__(self, summary_path: Path | None, stream: TextIO | None = None) -> None:
        self.summary_path = summary_path
        self.stream = stream
        self.summary = ReleaseSummary()

    def emit(self, event: Event) -> None:
        self.summary.add(event)
        if event.kind.endswith(".poll") or event.kind in self.QUIET:
            return
        if event.kind in self.ERRORS or event.level == "error":
            self._write(workflow_command("error", event.message, f"zdd {event.kind}"))
        elif event.level == "warning":
            self._write(workflow_command("warning", event.message, f"zdd {event.kind}"))

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def close(self) -> None:
        if self.summary_path is None or self.summary.empty:
            return
        append_summary(self.summary_path, self.summary.markdown())
        self.summary = ReleaseSummary()


def append_summary(path: Path, markdown: str) -> None:
    """Append to ``$GITHUB_STEP_SUMMARY`` (the runner collects it after the step)."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown + "\n")


class GitLabSink:
    """A collapsible section of the job log per step (its bake polls inside), one for a
    rollback (open). Sections begin before the other sinks print the step's lines."""

    def __init__(self, stream: TextIO | None = None, clock: Any = time.time) -> None:
        self.stream = stream
        self.clock = clock
        self.open: str | None = None
        self.count = 0

    def emit(self, event: Event) -> None:
        if event.kind == "step.verified":
            self.count += 1
            self._start(f"step {self.count}: {_weights(event)}", collapsed=True)
        elif event.kind == "rollback.start":
            self._start(f"rollback: {event.message}", collapsed=False)
        elif event.kind.endswith(".poll") and self.open is not None:
            self._write(f"  {event.message}")
        elif event.kind in ("deployment.promoted", "rollback.done", "deployment.refused"):
            self._end()

    def _start(self, header: str, *, collapsed: bool) -> None:
        self._end()
        self.open = f"zdd_{self.count}_{re.sub(r'[^a-z0-9]+', '_', header.lower())[:40]}"
        flag = "[collapsed=true]" if collapsed else ""
        stamp = int(self.clock())
        self._write(f"\x1b[0Ksection_start:{stamp}:{self.open}{flag}\r\x1b[0K{header}")

    def _end(self) -> None:
        if self.open is not None:
            self._write(f"\x1b[0Ksection_end:{int(self.clock())}:{self.open}\r\x1b[0K")
            self.open = None

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def close(self) -> None:
        self._end()
