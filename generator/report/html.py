"""The report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched.

A Content-Security-Policy of ``default-src 'none'`` (inline styles allowed) makes
the browser refuse any request the page might make, so the file opens the same
from a CI artifact, an e-mail attachment or a laptop without network.
"""

from __future__ import annotations

from html import escape

from generator.events import iso
from generator.journal.model import Deployment, Refusal
from generator.report.facts import facts, outcome_words
from generator.report.model import Report
from generator.report.svg import chart
from generator.report.timeline import Timeline, timeline
from generator.rollout.views.outcome import duration

CSP = "default-src 'none'; style-src 'unsafe-inline'"

STYLE = """
:root { --blue: #2563eb; --green: #16a34a; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f9fafb; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 8px; }
.meta, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: 12px 0 20px; background: #fff; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { font-weight: 600; background: #f3f4f6; }
a { color: inherit; }
section.release { background: #fff; border: 1px solid var(--line); border-left: 6px solid #9ca3af;
  border-radius: 6px; padding: 16px 20px; margin: 0 0 24px; }
section.outcome-promoted { border-left-color: var(--green); }
section.outcome-rolled_back, section.outcome-aborted { border-left-color: #dc2626; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; color: #fff; background: #6b7280; }
.badge.promoted { background: var(--green); } .badge.rolled_back, .badge.aborted,
.badge.refused { background: #dc2626; }
.reason { background: #fef2f2; border: 1px solid #fecaca; padding: 8px 12px; border-radius: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px;
  margin: 8px 0 12px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; word-break: break-all; }
.legend span { display: inline-flex; align-items: center; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  border-radius: 2px; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 11px; }
.grid { stroke: var(--line); } .tick { fill: var(--muted); } .tick-mark { stroke: var(--muted); }
.line { fill: none; stroke-width: 2.5; } .line-blue { stroke: var(--blue); }
.line-green { stroke: var(--green); }
.dot-blue { fill: var(--blue); } .dot-green { fill: var(--green); }
.numbers .line { stroke-width: 1.5; } .numbers .line[data-role="live"] { stroke-dasharray: 4 3; }
.area { opacity: 0.18; } .area-blue { fill: var(--blue); } .area-green { fill: var(--green); }
.band-bake { fill: #dbeafe; opacity: 0.7; } .band-gate { fill: #fde68a; opacity: 0.8; }
.band-rollback { fill: #fecaca; opacity: 0.9; }
.state-ok { fill: #22c55e; } .state-unknown { fill: #f59e0b; } .state-firing { fill: #dc2626; }
.marker line { stroke: #9ca3af; stroke-dasharray: 3 3; }
.marker circle { fill: #374151; } .marker-error circle { fill: #dc2626; }
.marker-success circle { fill: var(--green); } .marker-warning circle { fill: #d97706; }
.marker-number { fill: #fff; font-size: 10px; font-weight: 700; }
.marker-label { fill: var(--ink); font-size: 11px; }
ol.events { margin: 8px 0 0; padding-left: 28px; } ol.events li { margin: 2px 0; }
.t { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: 6px; }
.level-error { color: #b91c1c; } details { margin-top: 8px; }
"""

LEGEND = (
    '<p class="legend"><span><i style="background:#2563eb"></i>blue</span>'
    '<span><i style="background:#16a34a"></i>green</span>'
    '<span><i style="background:#dbeafe"></i>bake</span>'
    '<span><i style="background:#fde68a"></i>gate</span>'
    '<span><i style="background:#fecaca"></i>rollback</span>'
    '<span><i style="background:#22c55e"></i>OK</span>'
    '<span><i style="background:#f59e0b"></i>unknown</span>'
    '<span><i style="background:#dc2626"></i>firing</span></p>'
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _summary_table(deps: list[Deployment], timelines: dict[str, Timeline]) -> str:
    rows = [
        "<tr><th>started (UTC)</th><th>release</th><th>traffic</th><th>outcome</th>"
        "<th>took</th><th>run by</th><th>deployment</th></tr>"
    ]
    for dep in reversed(deps):
        who = dep.actor.user if dep.actor else "-"
        rows.append(
            f"<tr><td>{_e(iso(dep.started_at, millis=False))}</td>"
            f"<td>{_e(dep.release or 'traffic only')}</td>"
            f"<td>{_e(dep.from_colour)} → {_e(dep.to_colour)}</td>"
            f'<td><span class="badge {_e(dep.status)}">{_e(outcome_words(dep))}</span></td>'
            f"<td>{_e(duration(timelines[dep.id].end))}</td><td>{_e(who)}</td>"
            f'<td><a href="#deployment-{_e(dep.id)}">{_e(dep.id)}</a></td></tr>'
        )
    return '<table class="summary">' + "".join(rows) + "</table>"


def _refusals(refusals: list[Refusal]) -> str:
    if not refusals:
        return ""
    rows = [
        "<tr><th>at (UTC)</th><th>stage</th><th>release</th><th>reason</th><th>run by</th></tr>"
    ]
    for r in reversed(refusals):
        rows.append(
            f"<tr><td>{_e(iso(r.at, millis=False))}</td><td>{_e(r.stage)}</td>"
            f"<td>{_e(r.release or '-')}</td><td>{_e(r.reason)}</td>"
            f"<td>{_e(r.actor.user if r.actor else '-')}</td></tr>"
        )
    return '<h2>Refused</h2><table class="refusals">' + "".join(rows) + "</table>"


def _section(tl: Timeline) -> str:
    dep, said = tl.dep, facts(tl)
    parts = [
        f'<section class="release outcome-{_e(dep.status)}" id="deployment-{_e(dep.id)}" '
        f'data-deployment="{_e(dep.id)}" data-status="{_e(dep.status)}">',
        f'<h2>{_e(said.title)} <span class="badge {_e(dep.status)}">{_e(said.outcome)}</span></h2>',
    ]
    if said.reason:
        parts.append(f'<p class="reason"><strong>Why:</strong> {_e(said.reason)}</p>')
    parts.append('<dl class="facts">')
    parts += [f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in said.rows]
    parts += ["</dl>", LEGEND, chart(tl), '<ol class="events">']
    parts += [
        f'<li value="{m.number}" class="level-{_e(m.level)}"><span class="t">+{m.at:.1f}s</span>'
        f"{_e(m.message)}</li>"
        for m in tl.markers
    ]
    parts += ["</ol>", "<details><summary>every journalled event</summary><ol>"]
    parts += [
        f'<li><span class="t">+{e.at - dep.started_at:.2f}s</span><code>{_e(e.kind)}</code> '
        f"{_e(e.message)}</li>"
        for e in dep.events
    ]
    parts += ["</ol></details>", "</section>"]
    return "\n".join(parts)


def render_html(report: Report) -> str:
    """The whole page for ``report``'s deployments (newest first in the summary)."""
    timelines = {dep.id: timeline(dep) for dep in report.deployments}
    where = f"{report.service}/{report.environment}"
    count = len(report.deployments)
    noun = "release" if count == 1 else "releases"
    head = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>zdd report: {_e(where)}, {count} {noun}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
    )
    body = [
        f"<header><h1>{_e(where)}: {count} {noun}</h1>"
        f'<p class="meta">generated {_e(iso(report.generated_at, millis=False))} by '
        "<code>zdd report</code>; self-contained, nothing is fetched</p></header>",
        _summary_table(report.deployments, timelines),
        _refusals(report.refusals),
        *(_section(timelines[dep.id]) for dep in reversed(report.deployments)),
    ]
    return head + "\n".join(b for b in body if b) + "\n</body>\n</html>\n"
