"""Which deployments a report covers, read from the journal, and where it is written."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from generator.errors import InputError
from generator.files import atomic_write
from generator.journal.archive import load_full
from generator.journal.model import JournalDoc
from generator.journal.protocol import DeploymentStore
from generator.report.html import render_html
from generator.report.markdown import render_markdown
from generator.report.model import Report


def select(doc: JournalDoc, deployment_id: str | None = None, last: int | None = None) -> Report:
    """One deployment by id (a unique prefix will do), or the last ``last`` (default 1)."""
    known = [*doc.history, *([doc.current] if doc.current is not None else [])]
    if not known:
        raise InputError(
            f"{doc.service}/{doc.environment}: the journal holds no deployment to report on"
        )
    if deployment_id is not None:
        chosen = [d for d in known if d.id.startswith(deployment_id)]
        if len(chosen) != 1:
            recent = ", ".join(d.id for d in known[-5:])
            what = "matches several deployments" if chosen else "is not in the journal"
            raise InputError(f"deployment {deployment_id!r} {what} (recent: {recent})")
    else:
        count = 1 if last is None else last
        if count < 1:
            raise InputError(f"--last: expected 1 or more (got {count})")
        chosen = known[-count:]
    # With --last, the refusals of the same period belong in the picture too.
    since = chosen[0].started_at
    refusals = [r for r in doc.refusals if r.at >= since] if deployment_id is None else []
    return Report(doc.service, doc.environment, chosen, refusals)


@dataclass(frozen=True)
class Exported:
    html: Path | None
    markdown: str | None


def export(
    store: DeploymentStore,
    *,
    deployment_id: str | None = None,
    last: int | None = None,
    html: Path | None = None,
    markdown: bool = False,
    now: float | None = None,
) -> Exported:
    """Read the journal once; write the HTML report to ``html``, render Markdown if asked."""
    chosen = select(load_full(store), deployment_id, last)
    report = Report(
        chosen.service,
        chosen.environment,
        chosen.deployments,
        chosen.refusals,
        time.time() if now is None else now,
    )
    if html is not None:
        write_html(report, html)
    return Exported(html, render_markdown(report) if markdown else None)


def write_html(report: Report, path: Path) -> Path:
    """The report as one self-contained HTML file (written whole, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, render_html(report))
    return path
