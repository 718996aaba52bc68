"""The live view on a terminal: one compact panel per release, updated in place.

The panel shows step k/n, a weights bar with the numbers in it, what is awaited
and how long is left, the last poll's verdict per signal (and per alarm), and
who holds the listener. Decisions are printed as timestamped lines above it.
It is only used on an interactive terminal without ``CI`` or ``NO_COLOR``; the
same events drive the plain lines everywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.colours import Colour
from generator.events.core import Event, Origin, Snapshot
from generator.events.text import iso

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.text import Text

LEVEL_STYLES = {"error": "red", "warning": "yellow", "success": "green", "info": "cyan"}
STATE_STYLES = {"ok": "green", "firing": "bold red", "unknown": "yellow"}
COLOUR_STYLES: dict[Colour, str] = {"blue": "bold white on blue", "green": "bold black on green"}
FINAL_KINDS = frozenset({"deployment.promoted", "rollback.done", "deployment.refused"})
BAR_WIDTH = 44


def weights_bar(weights: dict[Colour, int], width: int = BAR_WIDTH) -> Text:
    """``[ blue 90%          green 10% ]``: each colour's share of the width, labelled inside."""
    from rich.text import Text

    blue, green = weights.get("blue", 0), weights.get("green", 0)
    total = (blue + green) or 1
    blue_cells = round(width * blue / total)
    left, right = f" blue {blue}%", f"green {green}% "
    label = left + " " * max(1, width - len(left) - len(right)) + right
    bar = Text(label)
    bar.stylize(COLOUR_STYLES["blue"], 0, blue_cells)
    bar.stylize(COLOUR_STYLES["green"], blue_cells, len(label))
    return bar


def _verdict_rows(verdicts: list[dict[str, Any]]) -> list[tuple[str, Text]]:
    from rich.text import Text

    rows: list[tuple[str, Text]] = []
    for verdict in verdicts:
        state = str(verdict.get("state", "unknown"))
        line = Text(f"{state.upper():8}", style=STATE_STYLES.get(state, ""))
        line.append(str(verdict.get("detail", "")))
        rows.append((str(verdict.get("signal", "")), line))
        for name, value in dict(verdict.get("checks") or {}).items():
            style = "green" if value == "OK" else ("bold red" if value == "ALARM" else "yellow")
            rows.append(("", Text.assemble((f"  {value:18}", style), (str(name), "dim"))))
    return rows


class RichSink:
    """Live progress on a terminal: lines for decisions, a panel for where things stand."""

    def __init__(self, console: Console | None = None, *, origin: Origin | None = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.origin = origin or Origin()
        self._live: Live | None = None
        self._snapshot: Snapshot | None = None
        self._progress: Event | None = None

    def emit(self, event: Event) -> None:
        if event.deployment is not None:
            self._snapshot = event.deployment
        if event.is_progress:
            self._progress = event
        else:
            if event.kind in ("step.verified", "bake.start", "deployment.start", *FINAL_KINDS):
                self._progress = None  # the last wait is over
            self._print(event)
        if self._snapshot is None and self._progress is None:
            return
        self._show()
        if event.kind in FINAL_KINDS:
            self._stop()

    def _print(self, event: Event) -> None:
        from rich.text import Text

        style = LEVEL_STYLES.get(event.level, "white")
        when = (iso(event.at, millis=False) or "")[11:19]
        self.console.print(
            Text.assemble((when, "dim"), " ", ("●", style), " ", event.message), highlight=False
        )

    def _show(self) -> None:
        from rich.live import Live

        if self._live is None:
            self._live = Live(
                self.panel(), console=self.console, refresh_per_second=4, transient=False
            )
            self._live.start()
        else:
            self._live.update(self.panel(), refresh=True)

    def panel(self) -> RenderableType:
        """The panel of the current release, from the last snapshot and the last poll."""
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        snap, progress = self._snapshot, self._progress
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        title = self.origin.label() or "zdd"
        if snap is not None:
            title += f" · deployment {snap.id}"
            title += f" · release {snap.release}" if snap.release else ""
            grid.add_row("step", f"{snap.step}/{snap.steps}  {snap.strategy}, {snap.status}")
            grid.add_row("traffic", weights_bar(snap.weights))
        if progress is not None:
            data = progress.data
            left = data.get("left_seconds")
            awaiting = str(data.get("awaiting", progress.message))
            grid.add_row("waiting", Text(awaiting + (f": {left:.0f}s left" if left else "")))
            for name, line in _verdict_rows(list(data.get("verdicts") or [])):
                grid.add_row(name, line)
        if snap is not None and snap.lock:
            grid.add_row("lock", Text(snap.lock, style="dim"))
        subtitle = f"{snap.from_colour} → {snap.to_colour}" if snap else None
        return Panel(grid, title=title, subtitle=subtitle, expand=False)

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._snapshot = None
        self._progress = None

    def close(self) -> None:
        self._stop()
