"""The chart of one deployment, as inline SVG: no script, no font or file fetched.

From top to bottom: numbered event markers; the weights of each colour over time
as a step chart (the new colour's share filled), with bake windows, gates and
the rollback as shaded bands behind it; then one state strip per signal (green
OK, amber unknown, red firing); under them, the numbers that decided each step
(``report.numbers``: canary's and live's 5xx rate and latency per period). Each
series also carries its points in data units (``data-points="seconds,percent ..."``)
so tools and tests can read it back.
"""

from __future__ import annotations

from html import escape

from generator.colours import COLOURS
from generator.report.numbers import numbers_panels
from generator.report.timeline import Timeline

WIDTH = 880
LEFT = 56  # room for the percent axis
RIGHT = 24
MARKER_ROWS = 4
MARKER_ROW_HEIGHT = 16
PLOT_TOP = 12 + MARKER_ROWS * MARKER_ROW_HEIGHT  # room for the markers above the plot
PLOT_HEIGHT = 200
PLOT_WIDTH = WIDTH - LEFT - RIGHT
STRIP_GAP = 30  # between the plot and the first strip (the time axis labels)
STRIP_HEIGHT = 14
STRIP_SPACING = 20
NICE_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


def x_of(t: float, end: float) -> float:
    return round(LEFT + (t / end if end > 0 else 0.0) * PLOT_WIDTH, 1)


def y_of(percent: float) -> float:
    return round(PLOT_TOP + (100 - percent) / 100 * PLOT_HEIGHT, 1)


def _num(value: float) -> str:
    return f"{round(value, 3):g}"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def time_ticks(end: float, count: int = 6) -> list[float]:
    """Round tick positions (seconds) covering ``0..end``."""
    if end <= 0:
        return [0.0]
    raw = end / count
    step = next((s for s in NICE_STEPS if s >= raw), raw)
    ticks, t = [], 0.0
    while t <= end + 1e-9:
        ticks.append(round(t, 3))
        t += step
    return ticks


def _label_time(t: float) -> str:
    if t < 60:
        return f"{_num(t)}s"
    if t < 3600:
        return f"{int(t // 60)}m{int(t % 60):02d}" if t % 60 else f"{int(t // 60)}m"
    return f"{int(t // 3600)}h{int(t % 3600 // 60):02d}"


def _bands(tl: Timeline) -> list[str]:
    out = ['<g class="bands">']
    for band in tl.bands:
        x0, x1 = x_of(band.start, tl.end), x_of(band.end, tl.end)
        out.append(
            f'<rect class="band band-{band.kind}" data-kind="{band.kind}" '
            f'data-start="{_num(band.start)}" data-end="{_num(band.end)}" x="{x0}" y="{PLOT_TOP}" '
            f'width="{round(max(x1 - x0, 0.5), 1)}" height="{PLOT_HEIGHT}">'
            f"<title>{escape(band.label)} ({_num(band.end - band.start)}s)</title></rect>"
        )
    out.append("</g>")
    return out


def _axes(tl: Timeline) -> list[str]:
    out = ['<g class="axes">']
    for pct in (0, 25, 50, 75, 100):
        y = y_of(pct)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + PLOT_WIDTH}" y1="{y}" y2="{y}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{pct}%</text>')
    base = PLOT_TOP + PLOT_HEIGHT
    for t in time_ticks(tl.end):
        x = x_of(t, tl.end)
        out.append(f'<line class="tick-mark" x1="{x}" x2="{x}" y1="{base}" y2="{base + 4}"/>')
        out.append(
            f'<text class="tick" x="{x}" y="{base + 16}" text-anchor="middle">'
            f"{_label_time(t)}</text>"
        )
    out.append("</g>")
    return out


def _series(tl: Timeline) -> list[str]:
    out = ['<g class="series">']
    to = tl.dep.to_colour
    area = [(x_of(t, tl.end), y_of(w)) for t, w in tl.series[to]]
    floor = y_of(0)
    polygon = [(area[0][0], floor), *area, (area[-1][0], floor)]
    out.append(
        f'<polygon class="area area-{to}" points="'
        + " ".join(f"{x},{y}" for x, y in polygon)
        + '"/>'
    )
    for colour in COLOURS:
        points = tl.series[colour]
        pixels = " ".join(f"{x_of(t, tl.end)},{y_of(w)}" for t, w in points)
        data = " ".join(f"{_num(t)},{w}" for t, w in points)
        out.append(
            f'<polyline class="line line-{colour}" data-colour="{colour}" '
            f'data-points="{data}" points="{pixels}"><title>{colour}</title></polyline>'
        )
    out.append("</g>")
    return out


def _label_width(label: str) -> float:
    return 24 + 6.5 * len(label)  # circle, gap and text at 11 px


def marker_rows(tl: Timeline) -> list[tuple[float, int, bool]]:
    """Per marker: its x, its row (neighbours never overlap when rows suffice) and
    whether its label goes left of it (near the right edge)."""
    right_edge = LEFT + PLOT_WIDTH
    free_from = [float("-inf")] * MARKER_ROWS  # leftmost free x per row
    placed = []
    for m in tl.markers:
        x = x_of(m.at, tl.end)
        width = _label_width(m.label)
        left = x + width > right_edge + RIGHT
        span = (x - width, x + 8) if left else (x - 8, x + width)
        row = next((r for r in range(MARKER_ROWS) if free_from[r] <= span[0]), None)
        if row is None:
            row = min(range(MARKER_ROWS), key=lambda r: free_from[r])
        free_from[row] = span[1] + 4
        placed.append((x, row, left))
    return placed


def _markers(tl: Timeline) -> list[str]:
    out = ['<g class="markers">']
    for m, (x, row, left) in zip(tl.markers, marker_rows(tl), strict=True):
        y = 12 + row * MARKER_ROW_HEIGHT
        text_x, anchor = (x - 10, "end") if left else (x + 10, "start")
        out.append(
            f'<g class="marker marker-{m.level}" data-kind="{_attr(m.kind)}" '
            f'data-at="{_num(m.at)}"><title>{m.number}. +{_num(m.at)}s {escape(m.message)}</title>'
            f'<line x1="{x}" x2="{x}" y1="{y + 7}" y2="{PLOT_TOP + PLOT_HEIGHT}"/>'
            f'<circle cx="{x}" cy="{y}" r="7"/>'
            f'<text class="marker-number" x="{x}" y="{y + 3.5}" text-anchor="middle">'
            f"{m.number}</text>"
            f'<text class="marker-label" x="{text_x}" y="{y + 4}" text-anchor="{anchor}">'
            f"{escape(m.label)}</text></g>"
        )
    out.append("</g>")
    return out


def _strips(tl: Timeline) -> list[str]:
    out = ['<g class="strips">']
    top = PLOT_TOP + PLOT_HEIGHT + STRIP_GAP
    for row, signal in enumerate(tl.signals):
        y = top + row * STRIP_SPACING
        out.append(
            f'<g class="strip" data-signal="{_attr(signal)}">'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 11}" text-anchor="end">'
            f"{escape(signal)}</text>"
        )
        for span in (s for s in tl.states if s.signal == signal):
            x0, x1 = x_of(span.start, tl.end), x_of(span.end, tl.end)
            out.append(
                f'<rect class="state state-{_attr(span.state)}" data-state="{_attr(span.state)}" '
                f'x="{x0}" y="{y}" width="{round(max(x1 - x0, 3.0), 1)}" height="{STRIP_HEIGHT}">'
                f"<title>{escape(span.state)}: {escape(span.detail)}</title></rect>"
            )
        out.append("</g>")
    out.append("</g>")
    return out


def chart(tl: Timeline) -> str:
    """The whole chart of one deployment."""
    strips = len(tl.signals)
    height = PLOT_TOP + PLOT_HEIGHT + STRIP_GAP + strips * STRIP_SPACING + 8
    dep = tl.dep
    numbers, numbers_height = numbers_panels(dep, 8, height + 4)
    height += round(numbers_height) + (8 if numbers else 0)
    label = f"traffic of deployment {dep.id}: {dep.from_colour} to {dep.to_colour}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{_attr(label)}" '
        f'data-deployment="{_attr(dep.id)}" data-end="{_num(tl.end)}">',
        f"<title>{escape(label)}</title>",
        *_bands(tl),
        *_axes(tl),
        *_series(tl),
        *_markers(tl),
        *_strips(tl),
        *numbers,
        "</svg>",
    ]
    return "\n".join(parts)
