"""The report as Markdown: for pull-request comments and CI job summaries.

Same facts as the HTML, without the chart: a table of the releases, then per
release its outcome (and why), schedule, versions, migrations, durations, who ran
it, and the numbered decisions.
"""

from __future__ import annotations

from generator.events import iso
from generator.mdtext import md_code, md_text
from generator.report.facts import facts, outcome_words
from generator.report.model import Report
from generator.report.numbers import numbers_lines
from generator.report.timeline import Timeline, timeline
from generator.rollout.views.outcome import duration

ICONS = {"promoted": "✅", "rolled_back": "↩️", "aborted": "⛔", "refused": "🚫"}


def cell(value: object) -> str:
    """Plain text in a table cell or a line: no HTML, no links, no broken rows."""
    return md_text(value)


def _table(report: Report, timelines: dict[str, Timeline]) -> list[str]:
    lines = [
        "| started (UTC) | release | traffic | outcome | took | run by | deployment |",
        "|---|---|---|---|---|---|---|",
    ]
    for dep in reversed(report.deployments):
        icon = ICONS.get(dep.status, "⏳")
        lines.append(
            f"| {cell(iso(dep.started_at, millis=False))} | {cell(dep.release or 'traffic only')} "
            f"| {dep.from_colour} → {dep.to_colour} | {icon} {cell(outcome_words(dep))} "
            f"| {duration(timelines[dep.id].end)} | {cell(dep.actor.user if dep.actor else '-')} "
            f"| `{md_code(dep.id)}` |"
        )
    return lines


def _release(tl: Timeline) -> list[str]:
    said = facts(tl)
    lines = ["", f"### {cell(said.title)}", ""]
    if said.reason:
        lines += [f"> **Why:** {cell(said.reason)}", ""]
    lines += [f"- **{label}**: {cell(value)}" for label, value in said.rows]
    numbers = numbers_lines(tl.dep)
    if numbers:
        lines += ["", "**Analysis, per period (new colour vs live):**", ""]
        lines += [f"- {cell(line)}" for line in numbers]
    lines += ["", "<details><summary>timeline</summary>", ""]
    lines += ["| # | at | event |", "|---|---|---|"]
    lines += [f"| {m.number} | +{m.at:.1f}s | {cell(m.message)} |" for m in tl.markers]
    lines += ["", "</details>"]
    return lines


def render_markdown(report: Report) -> str:
    timelines = {dep.id: timeline(dep) for dep in report.deployments}
    count = len(report.deployments)
    noun = "release" if count == 1 else "releases"
    lines = [f"## {report.service}/{report.environment}: {count} {noun}", ""]
    lines += _table(report, timelines)
    if report.refusals:
        lines += ["", "**Refused before any traffic moved:**", ""]
        lines += [
            f"- {cell(iso(r.at, millis=False))} {ICONS['refused']} {r.stage}"
            f"{' (' + cell(r.release) + ')' if r.release else ''}: {cell(r.reason)}"
            for r in reversed(report.refusals)
        ]
    for dep in reversed(report.deployments):
        lines += _release(timelines[dep.id])
    return "\n".join(lines) + "\n"
