"""``python -m tests.support.screenshot [PNG]``: photograph the report of ``zdd demo``.

Runs the demo (its releases: v2 promoted, v3 rolled back, ...), renders the report
it writes in headless Chromium, and saves the picture (default
``docs/report-demo.png``) with ``tEXt`` metadata: what it shows, that it is an
illustration (ids and timings differ on every run), and the fingerprint of the
report renderer that drew it. A test compares that fingerprint with today's
renderer, so a screenshot that no longer shows what ``zdd report`` draws fails
the suite until this is run again (``make docs-screenshot``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.support.browser import Chromium, find_chromium
from tests.support.png import with_text
from tests.support.report_sample import fingerprint

DEFAULT = Path("docs/report-demo.png")
SIZE = (1000, 2900)  # the whole page of the demo's releases
FINGERPRINT_KEY = "zdd-report-fingerprint"


def metadata() -> dict[str, str]:
    return {
        "Title": "zdd report of the releases of `zdd demo`",
        "Source": "make docs-screenshot: zdd demo, then headless Chromium",
        "Illustration": "yes: deployment ids and timings differ on every run",
        FINGERPRINT_KEY: fingerprint(),
    }


def photograph(report: Path, out: Path, binary: str) -> Path:
    """Screenshot ``report`` into ``out``, with the metadata above."""
    with tempfile.TemporaryDirectory(prefix="zdd-shot-") as work:
        shot = Path(work) / "shot.png"
        Chromium(binary).screenshot(report, shot, size=SIZE)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(with_text(shot.read_bytes(), metadata()))
    return out


def main(argv: list[str]) -> int:
    from generator.demo.run import run_demo

    out = Path(argv[0]) if argv else DEFAULT
    binary = find_chromium()
    if binary is None:
        print("chromium not found: apt-get install chromium (or set ZDD_CHROMIUM)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="zdd-demo-") as work:
        result = run_demo("staging", workdir=Path(work))
        if not result.ok or result.report is None:
            print("the demo did not end as expected; no screenshot taken", file=sys.stderr)
            return 1
        photograph(result.report, out, binary)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
