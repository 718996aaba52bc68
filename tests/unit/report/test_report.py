"""`zdd report`: the timeline read from the journal, the self-contained HTML, the Markdown.

The browser's view of the same HTML (screenshot, DOM, network) is checked in
tests/integration/test_report_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.config import Strategy
from generator.errors import InputError, ReleaseFailed
from generator.journal.local import LocalStore
from generator.journal.model import JournalDoc
from generator.report import export, select, timeline
from generator.report.html import render_html
from generator.report.markdown import render_markdown
from generator.report.svg import LEFT, PLOT_HEIGHT, PLOT_TOP, PLOT_WIDTH
from generator.rollout.engine.engine import ReleaseSpec
from generator.rollout.engine.schedule import build_schedule
from tests.conftest import ROOT, engine_for
from tests.support.png import text_chunks
from tests.support.report_sample import (
    fingerprint,
    promoted_release,
    rolled_back_release,
    sample_report,
)
from tests.support.screenshot import FINGERPRINT_KEY

ENV = str(ROOT / "environments" / "staging.yaml")
SCREENSHOT = ROOT / "docs" / "report-demo.png"


# -- the timeline ------------------------------------------------------------------


def test_weights_over_time_are_a_step_chart() -> None:
    tl = timeline(promoted_release())
    assert tl.series["green"] == [
        (0.0, 0),
        (1.0, 0),
        (1.0, 10),
        (122.0, 10),
        (122.0, 50),
        (183.0, 50),
        (183.0, 100),
        (243.0, 100),
    ]
    assert [w for _, w in tl.series["blue"]] == [100 - w for _, w in tl.series["green"]]


def test_bakes_gates_and_rollbacks_are_windows() -> None:
    promoted = timeline(promoted_release())
    assert [(b.kind, b.start, b.end) for b in promoted.bands] == [
        ("bake", 1.0, 61.0),
        ("gate", 61.0, 121.0),
        ("bake", 122.0, 182.0),
        ("bake", 183.0, 243.0),
    ]
    assert promoted.total("gate") == 60
    rolled = timeline(rolled_back_release())
    assert [(b.kind, b.start, b.end) for b in rolled.bands] == [
        ("bake", 1.0, 31.0),
        ("rollback", 31.0, 32.0),
    ]


def test_verdicts_are_a_state_strip_and_decisions_are_markers() -> None:
    promoted = timeline(promoted_release())
    assert [(s.state, s.start, s.end) for s in promoted.states][:3] == [
        ("ok", 1.0, 21.0),
        ("unknown", 21.0, 41.0),
        ("ok", 41.0, 122.0),
    ]
    rolled = timeline(rolled_back_release())
    assert [(s.state, s.start, s.end) for s in rolled.states] == [
        ("ok", 1.0, 31.0),
        ("firing", 31.0, 32.0),
    ]
    labels = [(m.number, m.label) for m in rolled.markers]
    assert labels == [(1, "start"), (2, "10%"), (3, "firing"), (4, "rollback"), (5, "rolled back")]
    assert "5xx rate 23% > 5%" in rolled.markers[3].message  # the reason, in words


def test_a_real_release_reads_back_as_it_happened(aws, clock, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging", clock=clock.now)
    engine = engine_for(aws, clock, store, poll=5)
    strategy = Strategy(type="steps", steps=[10, 100], bake_seconds=60)
    engine.shift(ReleaseSpec(build_schedule(strategy), "steps", release="v2"))
    clock.at(20, lambda: aws.set_alarm(aws.outputs.alarm_names["blue"][0], reason="5xx 30%"))
    with pytest.raises(ReleaseFailed):
        engine.shift(ReleaseSpec(build_schedule(strategy), "steps", release="v3"))
    promoted, rolled = store.load().history
    tl = timeline(promoted)
    steps = [e for e in promoted.events if e.kind == "step.verified"]
    moved = [round(e.at - promoted.started_at, 3) for e in steps]
    assert tl.series["green"] == [
        (0.0, 0),
        (moved[0], 0),
        (moved[0], 10),
        (moved[1], 10),
        (moved[1], 100),
        (tl.end, 100),
    ]
    assert moved[1] - moved[0] >= 60 and [b.kind for b in tl.bands] == ["bake", "bake"]
    rolled_tl = timeline(rolled)
    assert rolled_tl.states[-1].state == "firing" and "5xx 30%" in rolled_tl.states[-1].detail
    assert [b.kind for b in rolled_tl.bands] == ["bake", "rollback"]


# -- the HTML ------------------------------------------------------------------------


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_the_html_is_self_contained() -> None:
    html = render_html(sample_report())
    page = parse(html)
    csp = [
        a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and (csp[0]["content"] or "").startswith("default-src 'none'")
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    for _, attrs in page.tags:
        for name in ("src", "href", "srcset", "action", "xlink:href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), f"{name}={value}"
    assert "url(" not in html and "@import" not in html
    assert not re.search(r"https?://", html)  # not even as text (no CI job in the sample)


def test_the_chart_carries_its_series_in_data_and_pixels() -> None:
    page = parse(render_html(sample_report()))
    lines = {
        (a.get("data-colour"), i): a
        for i, (t, a) in enumerate(page.tags)
        if t == "polyline" and a.get("data-colour")
    }
    greens = [a for (colour, _), a in lines.items() if colour == "green"]
    assert len(greens) == 2  # one chart per release, newest first
    v2 = greens[1]
    assert v2["data-points"] == "0,0 1,0 1,10 122,10 122,50 183,50 183,100 243,100"

    def pixel(t: float, w: int) -> str:
        x = round(LEFT + t / 243 * PLOT_WIDTH, 1)
        y = round(PLOT_TOP + (100 - w) / 100 * PLOT_HEIGHT, 1)
        return f"{x},{y}"

    pairs = [p.split(",") for p in (v2["data-points"] or "").split()]
    assert v2["points"] == " ".join(pixel(float(t), int(w)) for t, w in pairs)


def test_text_from_the_journal_is_escaped() -> None:
    dep = rolled_back_release().model_copy(
        update={"outcome_reason": '<script>alert("x")</script>', "release": "v3&<b>"}
    )
    report = sample_report()
    html = render_html(report.__class__(report.service, report.environment, [dep]))
    assert "<script>" not in html and "&lt;script&gt;" in html and "v3&amp;&lt;b&gt;" in html


def test_the_markdown_summary() -> None:
    text = render_markdown(sample_report())
    assert text.startswith("## shop/staging: 2 releases\n")
    assert "| started (UTC) | release | traffic | outcome | took | run by | deployment |" in text
    assert "| v3 | green → blue | ↩️ rolled back | 32s | alice | `9f03be21c7` |" in text
    assert "| v2 | blue → green | ✅ promoted | 4m03s | alice | `2a7c91e0d4` |" in text
    assert "> **Why:** blue: alarm fired: shop-staging-blue-5xx-rate: 5xx rate 23% > 5%" in text
    assert "- **migrations**: 0007_add_orders_note.sql" in text
    assert "- **durations**: total 4m03s; baking 3m00s; at gates 1m00s" in text
    assert "- **versions**: blue v1 · green v2" in text


# -- choosing deployments, and the command ---------------------------------------------


def _journal(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging")
    store.save(
        JournalDoc(
            service="shop",
            environment="staging",
            history=[promoted_release(), rolled_back_release()],
        )
    )
    return store


def test_which_deployments(tmp_path: Path) -> None:
    doc = _journal(tmp_path).load()
    assert [d.id for d in select(doc).deployments] == ["9f03be21c7"]
    assert [d.id for d in select(doc, last=5).deployments] == ["2a7c91e0d4", "9f03be21c7"]
    assert [d.id for d in select(doc, "2a7").deployments] == ["2a7c91e0d4"]
    with pytest.raises(InputError, match="'nope' is not in the journal"):
        select(doc, "nope")
    with pytest.raises(InputError, match="holds no deployment"):
        select(JournalDoc(service="shop", environment="staging"))


def test_zdd_report_writes_html_and_prints_markdown(run_cli, tmp_path: Path) -> None:
    _journal(tmp_path)
    store = str(tmp_path / ".zdd")
    out = tmp_path / "r" / "report.html"
    result = run_cli("report", "--env", ENV, "--store", store, "--last", "2", "--html", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"report: {out}"
    assert "9f03be21c7" in out.read_text(encoding="utf-8")
    result = run_cli("report", "--env", ENV, "--store", store, "2a7c9", "--markdown")
    assert result.exit_code == 0 and result.stdout.startswith("## shop/staging: 1 release\n")
    result = run_cli("report", "--env", ENV, "--store", store, "0000")
    assert result.exit_code == 2 and "not in the journal" in result.stderr


def test_export_defaults_to_the_latest(tmp_path: Path) -> None:
    done = export(_journal(tmp_path), html=tmp_path / "x.html", markdown=True, now=0)
    assert done.markdown is not None and "1 release" in done.markdown
    assert "generated 1970-01-01T00:00:00Z" in (tmp_path / "x.html").read_text(encoding="utf-8")


# -- the screenshot in docs/ ----------------------------------------------------------


def test_the_committed_screenshot_is_current_and_marked_as_an_illustration() -> None:
    meta = text_chunks(SCREENSHOT.read_bytes())
    assert meta.get(FINGERPRINT_KEY) == fingerprint(), (
        "docs/report-demo.png was drawn by another version of the report: "
        "run `make docs-screenshot`"
    )
    assert meta.get("Illustration", "").startswith("yes")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after_image = readme.split("](docs/report-demo.png)", 1)[1].split("\n\n")[1]
    assert after_image.startswith("*An illustration")
