"""The HTML report as a browser shows it: Debian's headless Chromium, an empty profile.

A screenshot is taken and must not be blank; the rendered DOM must hold the chart
of a known release with its step coordinates; and no request may leave the page
(a proxy on 127.0.0.1 sees everything Chromium asks for). ``make test`` installs
Chromium; without it these tests are skipped, unless ``ZDD_REQUIRE_CHROMIUM`` is set.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.report.html import render_html
from generator.report.svg import LEFT, PLOT_HEIGHT, PLOT_TOP, PLOT_WIDTH
from tests.support.browser import Chromium, find_chromium, network_witness
from tests.support.png import colours, read_png
from tests.support.report_sample import sample_report

pytestmark = pytest.mark.integration

BLUE, GREEN = (0x25, 0x63, 0xEB), (0x16, 0xA3, 0x4A)  # the two colours' lines
STATE_OK, STATE_UNKNOWN, STATE_FIRING = (0x22, 0xC5, 0x5E), (0xF5, 0x9E, 0x0B), (0xDC, 0x26, 0x26)


@pytest.fixture(scope="module")
def chromium() -> Chromium:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("ZDD_REQUIRE_CHROMIUM"):
            pytest.fail("chromium not found: apt-get install -y chromium (or set ZDD_CHROMIUM)")
        pytest.skip("chromium not installed (make test installs it)")
    return Chromium(binary)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(sample_report()), encoding="utf-8")
    return path


def test_the_screenshot_is_a_chart_not_a_blank_page(chromium, page: Path, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    chromium.screenshot(page, png, size=(1000, 1400))
    image = read_png(png.read_bytes(), max_rows=1100)
    assert (image.width, image.height) == (1000, 1400)
    counts = colours(image, step=2)
    background, most = counts.most_common(1)[0]
    assert len(counts) > 100  # text, lines, bands, strips: not one flat colour
    assert most < 0.9 * sum(counts.values())
    for colour in (BLUE, GREEN, STATE_OK, STATE_FIRING):
        assert counts[colour] > 20, f"{colour} not drawn"
    assert background != (0, 0, 0)


class Charts(HTMLParser):
    """Per deployment section: the attributes of its series polylines."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.series: dict[tuple[str, str], dict[str, str | None]] = {}
        self.numbers: dict[str, list[tuple[str | None, ...]]] = {}
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("data-deployment"):
            self.section = found["data-deployment"]
        if tag == "svg":
            self.svgs += 1
        if tag == "polyline" and found.get("data-colour") and self.section:
            self.series[(self.section, str(found["data-colour"]))] = found
        if self.section and found.get("class") == "numbers-panel":
            panel = (found["data-check"], found["data-test"], found["data-p-value"])
            self.numbers.setdefault(self.section, []).append(panel)
        if self.section and tag == "polyline" and found.get("data-role"):
            line = (found["data-role"], found["data-of"], found["data-values"])
            self.numbers.setdefault(self.section, []).append(line)


def test_the_rendered_dom_holds_the_step_chart_of_a_known_release(chromium, page: Path) -> None:
    charts = Charts()
    charts.feed(chromium.dump_dom(page))
    assert charts.svgs == 2
    green = charts.series[("2a7c91e0d4", "green")]
    blue = charts.series[("2a7c91e0d4", "blue")]
    steps = [(0, 0), (1, 0), (1, 10), (122, 10), (122, 50), (183, 50), (183, 100), (243, 100)]
    assert green["data-points"] == " ".join(f"{t},{w}" for t, w in steps)
    assert blue["data-points"] == " ".join(f"{t},{100 - w}" for t, w in steps)

    def pixel(t: float, w: int) -> str:
        return (
            f"{round(LEFT + t / 243 * PLOT_WIDTH, 1)},"
            f"{round(PLOT_TOP + (100 - w) / 100 * PLOT_HEIGHT, 1)}"
        )

    assert green["points"] == " ".join(pixel(t, w) for t, w in steps)
    rolled = charts.series[("9f03be21c7", "blue")]
    assert rolled["data-points"] == "0,0 1,0 1,10 32,10 32,0 32,0"
    # Under the alarm strips, the numbers that decided the 10 % step, per period.
    assert charts.numbers["2a7c91e0d4"] == [
        ("errors", "fisher", "0.62"),
        ("live", "blue", "1,0.95"),
        ("new", "green", "0.8,1.1"),
        ("latency", "mann-whitney", "0.5"),
        ("live", "blue", "80,84"),
        ("new", "green", "82,85"),
    ]
    assert charts.numbers["9f03be21c7"][0] == ("errors", "fisher", "3e-19")


def test_no_request_leaves_the_page(chromium, page: Path, tmp_path: Path) -> None:
    with network_witness() as witness:
        chromium.dump_dom(page, proxy=witness.address)
        chromium.screenshot(page, tmp_path / "shot.png", proxy=witness.address)
    assert witness.page_requests() == []
    # The witness does see a page that fetches something: the check above can fail.
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!doctype html><img src="http://zdd-witness.invalid/pixel.png">')
    with network_witness() as witness:
        chromium.dump_dom(leaky, proxy=witness.address)
    assert any("zdd-witness.invalid" in r for r in witness.page_requests())
