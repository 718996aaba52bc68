"""The numbers that decided each step, in the report's chart, its Markdown and status."""

from __future__ import annotations

from html.parser import HTMLParser

from generator.journal.verdicts import CheckVerdict, compact_series
from generator.report.markdown import render_markdown
from generator.report.svg import chart
from generator.report.timeline import timeline
from generator.rollout.views.verdicts import render_latest
from tests.support.report_sample import ROLLED_BACK_NUMBERS, rolled_back_release, sample_report


class Panels(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.panels: list[dict[str, str | None]] = []
        self.lines: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "g" and found.get("class") == "numbers-panel":
            self.panels.append(found)
        if tag == "polyline" and found.get("data-role"):
            self.lines.append(found)


def test_the_chart_draws_each_check_of_each_step_under_the_strips() -> None:
    panels = Panels()
    panels.feed(chart(timeline(rolled_back_release())))
    assert [(p["data-check"], p["data-verdict"], p["data-test"]) for p in panels.panels] == [
        ("errors", "fail", "fisher"),
        ("latency", "pass", "mean z"),
    ]
    assert panels.panels[0]["data-p-value"] == "3e-19" and panels.panels[0]["data-effect"] == "23"
    # The new colour (blue) and live (green), per period, in data units.
    assert [(x["data-role"], x["data-of"], x["data-values"]) for x in panels.lines] == [
        ("live", "green", "1"),
        ("new", "blue", "23"),
        ("live", "green", "90"),
        ("new", "blue", "250"),
    ]


def test_markdown_has_a_line_per_check_with_the_deciding_numbers() -> None:
    text = render_markdown(sample_report())
    assert (
        "- step 1 (10%) errors: fail so far by fisher, p=3e-19, x23.00; "
        "new 23 vs live 1 (% 5xx)" in text
    )
    assert (
        "- step 1 (10%) latency: pass by mann-whitney, p=0.5, x1.02; "
        "new 82, 85 vs live 80, 84 (ms)" in text
    )


def test_status_shows_the_numbers_per_period() -> None:
    latest = {
        "deployment": "9f03be21c7",
        "step": 1,
        "percent": 10,
        "score": 50.0,
        "checks": [v.model_dump() for v in ROLLED_BACK_NUMBERS],
    }
    lines = render_latest(latest)
    assert lines[1].endswith("< 0.00025; per period new 23 vs live 1 (% 5xx)")
    assert lines[2].endswith("mean z p=0.002; per period new 250 vs live 90 (ms)")


def test_journal_keeps_the_series_compact() -> None:
    values = [100 / 3 + i for i in range(50)] + [None, float("nan")]
    kept = compact_series(values)
    assert len(kept) == 30 and kept[-2:] == [None, None]
    assert kept[0] == 55.3  # three significant digits of 22 + 100/3
    size = len(CheckVerdict(check="latency", verdict="pass", canary=kept).model_dump_json())
    assert size < 400
