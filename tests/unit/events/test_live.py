"""The live view: a panel updated in place on a real pseudo-terminal; plain lines with
``CI`` or ``NO_COLOR`` even there. The same events drive both."""

from __future__ import annotations

import fcntl
import io
import os
import re
import select
import struct
import subprocess
import sys
import termios

import pytest
from rich.console import Console

from generator.events import Event, Origin, Snapshot
from generator.events.live import RichSink, weights_bar
from generator.events.select import console_sink, wants_live_view
from generator.events.text import PlainSink
from tests.conftest import ROOT

# Feeds the events of a short canary to whatever sink the CLI would pick.
SCRIPT = r"""
from generator.events import Event, Origin, Snapshot
from generator.events.select import console_sink

def snap(blue, step, status="in_progress"):
    weights = {"blue": blue, "green": 100 - blue}
    return Snapshot("abc123", "v2", "blue", "green", weights, step, 2, status, "canary",
                    "shift (pid 4242 on ci-runner-7)")

OK = [{"signal": "alarms", "state": "ok", "detail": "alarms OK",
       "checks": {"shop-staging-green-5xx-rate": "OK", "shop-staging-green-p99-latency": "OK"}}]
t = 1_700_000_000.0
sink = console_sink(False, Origin("shop", "staging"))
sink.emit(Event("deployment.start", "deployment abc123: v2 blue -> green by canary", t,
                "info", {}, snap(100, 0)))
sink.emit(Event("step.verified", "step: blue 90% / green 10% verified", t + 1, "success",
                {"weights": {"blue": 90, "green": 10}}, snap(90, 1)))
sink.emit(Event("bake.start", "baking 10% on green for 600s", t + 1, "info", {}, snap(90, 1)))
for i in range(1, 8):
    left = 600 - 10 * i
    sink.emit(Event("bake.poll", f"baking 10% on green: signals OK, {left}s left",
                    t + 1 + 10 * i, "info",
                    {"phase": "bake", "awaiting": "bake of 10% on green",
                     "left_seconds": left, "verdict": "ok", "verdicts": OK}, snap(90, 1)))
sink.emit(Event("deployment.promoted", "green is live (blue 0% / green 100%)", t + 700,
                "success", {}, snap(0, 2, "promoted")))
sink.close()
"""


def run_in_pty(extra_env: dict[str, str]) -> str:
    """Run SCRIPT with its stdout and stderr on a pseudo-terminal of 100 x 30; return the bytes
    the terminal received."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "TERM")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30", **extra_env})
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT
    )
    os.close(slave)
    received = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                pytest.fail("the live view never finished")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            received += data
    finally:
        os.close(master)
        proc.wait(timeout=60)
    assert proc.returncode == 0, received.decode(errors="replace")
    return received.decode("utf-8", errors="replace")


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_a_terminal_gets_a_panel_updated_in_place() -> None:
    raw = run_in_pty({})
    assert "\x1b[" in raw
    # Updated in place: the panel is drawn again after moving the cursor back up over it.
    assert re.search(r"\x1b\[\d*A", raw), "no cursor movement: the panel was not redrawn"
    text = ANSI.sub("", raw)
    assert text.count("shop/staging · deployment abc123 · release v2") >= 3
    for part in (
        "1/2  canary, in_progress",
        "blue 90%",
        "green 10%",
        "bake of 10% on green: 530s left",  # the last poll's time left
        "OK      alarms OK",
        "shop-staging-green-p99-latency",
        "shift (pid 4242 on ci-runner-7)",
        "● step: blue 90% / green 10% verified",
    ):
        assert part in text, part
    assert "2/2  canary, promoted" in text  # the last state, kept when the panel stops


@pytest.mark.parametrize("env", [{"CI": "true"}, {"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_ci_or_no_color_get_plain_lines_even_on_a_terminal(env: dict[str, str]) -> None:
    raw = run_in_pty(env)
    assert "\x1b[" not in raw  # no colour, no cursor movement, nothing animated
    lines = [line for line in raw.replace("\r\n", "\n").splitlines() if line]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (info|ok|wait)", line) for line in lines)
    assert any("step: blue 90% / green 10% verified (step 1/2)" in line for line in lines)
    waits = [line for line in lines if " wait " in line]
    assert len(waits) == 2  # polls every 10 s for 70 s: a heartbeat 30 s after the last line
    assert "570s left" in waits[0] and "540s left" in waits[1]


def test_the_choice_of_view() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_live_view(Tty(), {"TERM": "xterm"})
    assert not wants_live_view(Tty(), {"TERM": "xterm", "CI": "true"})
    assert wants_live_view(Tty(), {"TERM": "xterm", "CI": "false"})
    assert not wants_live_view(Tty(), {"TERM": "xterm", "NO_COLOR": "1"})
    assert wants_live_view(Tty(), {"TERM": "xterm", "NO_COLOR": ""})  # empty: not set
    assert not wants_live_view(io.StringIO(), {"TERM": "xterm"})
    assert isinstance(console_sink(False, stderr=io.StringIO(), environ={}), PlainSink)


def test_the_weights_bar_carries_its_numbers() -> None:
    console = Console(file=io.StringIO(), width=120, color_system="truecolor")
    bar = weights_bar({"blue": 75, "green": 25}, width=40)
    assert bar.plain.startswith(" blue 75%") and bar.plain.endswith("green 25% ")
    assert len(bar.plain) == 40
    blue_cells = [span for span in bar.spans if "blue" in str(span.style)]
    assert blue_cells and blue_cells[0].end == 30  # 75% of 40 cells
    console.print(bar)


def test_the_panel_says_where_the_release_stands() -> None:
    out = io.StringIO()
    sink = RichSink(Console(file=out, width=100, color_system=None), origin=Origin("shop", "prod"))
    snap = Snapshot(
        "d1", None, "green", "blue", {"blue": 50, "green": 50}, 2, 3, "in_progress", "linear"
    )
    unknown = {
        "signal": "alarms",
        "state": "unknown",
        "detail": "alarms INSUFFICIENT_DATA or missing (x-p99)",
        "checks": {"x-p99": "INSUFFICIENT_DATA"},
    }
    sink._snapshot = snap
    sink._progress = Event(
        "bake.poll",
        "baking",
        0.0,
        data={"awaiting": "bake of 50% on blue", "left_seconds": 42, "verdicts": [unknown]},
    )
    Console(file=out, width=100, color_system=None).print(sink.panel())
    text = out.getvalue()
    assert "shop/prod · deployment d1" in text and "green → blue" in text
    assert "2/3  linear, in_progress" in text
    assert "bake of 50% on blue: 42s left" in text
    assert "UNKNOWN" in text and "INSUFFICIENT_DATA" in text
