"""The numbers that decided each step: per period, the new colour's and live's value.

Drawn under the alarm strips of a deployment's chart (one small panel per step and
comparison check: 5xx rate in percent, latency in milliseconds), and written as one
line per check in the Markdown. Each panel carries its numbers in data attributes
(``data-values``, ``data-p-value``, ``data-test``) so tools and tests can read them.
"""

from __future__ import annotations

from html import escape

from generator.colours import Colour, other_colour
from generator.journal.model import Deployment
from generator.journal.verdicts import CheckVerdict
from generator.rollout.views.verdicts import UNITS, per_period, summary

PANEL_WIDTH = 400
PANEL_GAP = 24
TITLE_HEIGHT = 16
PLOT_HEIGHT = 60
PANEL_HEIGHT = TITLE_HEIGHT + PLOT_HEIGHT + 22


def _series_checks(dep: Deployment) -> list[tuple[int, int, CheckVerdict]]:
    """(step number, percent, verdict) of every check that kept per-period numbers."""
    return [
        (step.step + 1, step.percent, v)
        for step in dep.step_verdicts
        for v in step.verdicts
        if v.canary and v.live and any(x is not None for x in [*v.canary, *v.live])
    ]


def _values(values: list[float | None]) -> str:
    return ",".join("" if v is None else f"{v:g}" for v in values)


def _line(values: list[float | None], x0: float, y0: float, top: float, n: int) -> list[str]:
    """Pixel points of ``values`` in a panel whose plot starts at (x0, y0)."""
    step = (PANEL_WIDTH - 60) / max(n - 1, 1)
    return [
        f"{round(x0 + i * step, 1)},{round(y0 + PLOT_HEIGHT - v / top * PLOT_HEIGHT, 1)}"
        for i, v in enumerate(values)
        if v is not None
    ]


def _panel(x: float, y: float, step: int, percent: int, v: CheckVerdict, new: Colour) -> str:
    canary, live = v.canary or [], v.live or []
    top = max([x for x in [*canary, *live] if x is not None] + [1e-9]) * 1.15
    n = max(len(canary), len(live))
    x0, y0 = x + 50, y + TITLE_HEIGHT
    title = f"step {step} ({percent}%) {v.check}: {summary(v)}"
    parts = [
        f'<g class="numbers-panel" data-step="{step}" data-check="{escape(v.check)}" '
        f'data-verdict="{v.verdict}" data-test="{escape(v.test or "")}" '
        f'data-p-value="{"" if v.p_value is None else f"{v.p_value:.3g}"}" '
        f'data-effect="{"" if v.effect is None else f"{v.effect:.3g}"}">',
        f'<text class="marker-label" x="{x}" y="{y + 11}">{escape(title)}</text>',
        f'<line class="grid" x1="{x0}" x2="{x0 + PANEL_WIDTH - 60}" '
        f'y1="{y0 + PLOT_HEIGHT}" y2="{y0 + PLOT_HEIGHT}"/>',
        f'<text class="tick" x="{x0 - 6}" y="{y0 + 8}" text-anchor="end">{top / 1.15:.3g}</text>',
        f'<text class="tick" x="{x0 - 6}" y="{y0 + PLOT_HEIGHT}" text-anchor="end">'
        f"{UNITS.get(v.check, '')}</text>",
        f'<text class="tick" x="{x0}" y="{y0 + PLOT_HEIGHT + 14}">period 1</text>',
    ]
    for role, colour, values in (("live", other_colour(new), live), ("new", new, canary)):
        pixels = _line(values, x0, y0, top, n)
        parts.append(
            f'<polyline class="line line-{colour}" data-role="{role}" data-of="{colour}" '
            f'data-values="{_values(values)}" points="{" ".join(pixels)}">'
            f"<title>{role} ({colour}): {escape(_values(values))}</title></polyline>"
        )
        parts += [
            f'<circle class="dot-{colour}" cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3"/>'
            for p in pixels
        ]
    parts.append("</g>")
    return "".join(parts)


def numbers_panels(dep: Deployment, left: float, top: float) -> tuple[list[str], float]:
    """The panels of ``dep`` from ``top`` down, two per row; and the height they take."""
    checks = _series_checks(dep)
    if not checks:
        return [], 0.0
    out = ['<g class="numbers">']
    for i, (step, percent, verdict) in enumerate(checks):
        x = left + (i % 2) * (PANEL_WIDTH + PANEL_GAP)
        y = top + (i // 2) * PANEL_HEIGHT
        out.append(_panel(x, y, step, percent, verdict, dep.to_colour))
    out.append("</g>")
    return out, ((len(checks) + 1) // 2) * PANEL_HEIGHT


def numbers_lines(dep: Deployment) -> list[str]:
    """One line per check and step, for the Markdown."""
    return [
        f"step {step} ({percent}%) {v.check}: {summary(v)}; {per_period(v)}"
        for step, percent, v in _series_checks(dep)
    ]
