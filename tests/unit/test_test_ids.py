"""No test is lost in a reshape: every id recorded before one still runs, or is in the map.

``tests/fixtures/test_ids_*.txt`` are the suite's ids at a point in time (the first taken
before issue 22 made the suite parallel); ``tests/renamed.txt`` maps moved ids to new ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def renames() -> tuple[dict[str, str], dict[str, str]]:
    ids: dict[str, str] = {}
    files: dict[str, str] = {}
    for line in (ROOT / "tests" / "renamed.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        old, _, new = (part.strip() for part in line.partition("->"))
        assert old and new, f"tests/renamed.txt: {line!r} is not OLD -> NEW"
        (ids if "::" in old else files)[old] = new
    return ids, files


def moved(test_id: str, ids: dict[str, str], files: dict[str, str]) -> str:
    while test_id in ids:
        test_id = ids[test_id]
    path, sep, rest = test_id.partition("::")
    while path in files:
        path = files[path]
    return path + sep + rest


def test_every_recorded_test_id_still_runs_or_is_renamed() -> None:
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "tests",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    now = {line for line in collected.stdout.splitlines() if "::" in line}
    ids, files = renames()
    recorded = sorted(ROOT.glob("tests/fixtures/test_ids_*.txt"))
    assert recorded
    lost = [
        test_id
        for path in recorded
        for test_id in path.read_text(encoding="utf-8").splitlines()
        if moved(test_id, ids, files) not in now
    ]
    assert not lost, f"{len(lost)} test ids neither run nor renamed, e.g. {lost[:5]}"
