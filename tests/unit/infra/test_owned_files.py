"""Issue 24, class 7: zdd never replaces what it did not write, and never writes
through or over anything that is not a regular file (exit 2, one line, nothing written)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from generator.errors import InputError
from generator.files import atomic_write, check_regular
from generator.journal.local import LocalStore
from generator.journal.model import JournalDoc
from tests.conftest import ROOT
from tests.support.report_sample import promoted_release
from tests.unit.cli.test_errors import STAGING, one_line

PIN = "zdd @ git+https://git.example/platform/zdd@v0.1.0"
MANIFEST = ".zdd-manifest.json"


def _generate(run_cli, out: Path):  # type: ignore[no-untyped-def]
    return run_cli("generate", "--env", STAGING, "--out", str(out))


# -- zdd generate -------------------------------------------------------------------


def test_generate_refuses_a_hand_written_main_tf(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mine = "# my own main.tf\n"
    (tmp_path / "main.tf").write_text(mine)
    result = _generate(run_cli, tmp_path)
    assert result.exit_code == 2, result.stderr
    assert "main.tf: exists and zdd did not write it" in one_line(result)
    assert (tmp_path / "main.tf").read_text() == mine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main.tf"]  # nothing half-written


def test_generate_refuses_a_generated_file_edited_by_hand(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert _generate(run_cli, tmp_path).exit_code == 0
    assert _generate(run_cli, tmp_path).exit_code == 0  # its own files: replaced freely
    edited = (tmp_path / "main.tf").read_text() + "# a hand edit\n"
    (tmp_path / "main.tf").write_text(edited)
    result = _generate(run_cli, tmp_path)
    assert result.exit_code == 2 and "main.tf" in one_line(result)
    assert (tmp_path / "main.tf").read_text() == edited


def test_a_manifest_without_hashes_is_believed_once(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert _generate(run_cli, tmp_path).exit_code == 0
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    del manifest["sha256"]  # as an older zdd wrote it
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    (tmp_path / "main.tf").write_text("# older output\n")
    assert _generate(run_cli, tmp_path).exit_code == 0
    assert "sha256" in json.loads((tmp_path / MANIFEST).read_text())


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _symlink(path: Path) -> None:
    target = path.parent / "elsewhere.txt"
    target.write_text("not zdd's\n")
    path.symlink_to(target)


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize("make", [_fifo, _symlink, _directory])
@pytest.mark.parametrize("name", ["main.tf", MANIFEST])
def test_generate_refuses_non_regular_targets(run_cli, tmp_path: Path, make, name: str) -> None:  # type: ignore[no-untyped-def]
    make(tmp_path / name)
    result = _generate(run_cli, tmp_path)
    assert result.exit_code == 2, result.stderr
    assert name in one_line(result)
    assert not stat.S_ISREG(os.lstat(tmp_path / name).st_mode)
    if make is _symlink:
        assert (tmp_path / "elsewhere.txt").read_text() == "not zdd's\n"


def test_an_edited_file_zdd_no_longer_produces_is_kept(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert _generate(run_cli, tmp_path).exit_code == 0
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["files"].append("old.tf")
    manifest["sha256"]["old.tf"] = "0" * 64  # zdd wrote other bytes: this is an edit
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    (tmp_path / "old.tf").write_text("# edited\n")
    assert _generate(run_cli, tmp_path).exit_code == 0
    assert (tmp_path / "old.tf").read_text() == "# edited\n"


# -- zdd pipeline ----------------------------------------------------------------------


def _pipeline(run_cli, system: str, out: Path):  # type: ignore[no-untyped-def]
    return run_cli("pipeline", system, "--install", PIN, "--out", str(out), cwd=ROOT)


@pytest.mark.parametrize(
    ("system", "name"), [("github", "zdd-staging.yml"), ("gitlab", "pipeline.yml")]
)
def test_pipeline_refuses_a_hand_written_workflow_of_the_same_name(
    run_cli, tmp_path: Path, system: str, name: str
) -> None:  # type: ignore[no-untyped-def]
    mine = "name: mine\n"
    (tmp_path / name).write_text(mine)
    result = _pipeline(run_cli, system, tmp_path)
    assert result.exit_code == 2, result.stderr
    assert name in one_line(result)
    assert (tmp_path / name).read_text() == mine
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_pipeline_replaces_its_own_workflows(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert _pipeline(run_cli, "github", tmp_path).exit_code == 0
    assert _pipeline(run_cli, "github", tmp_path).exit_code == 0


# -- zdd report --html / atomic_write ------------------------------------------------------


def _journal(tmp_path: Path) -> str:
    store = LocalStore(tmp_path / ".zdd", "shop", "staging")
    store.save(JournalDoc(service="shop", environment="staging", history=[promoted_release()]))
    return str(store.directory)


@pytest.mark.parametrize("make", [_fifo, _symlink])
def test_report_never_renames_over_a_non_regular_target(run_cli, tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.html"
    make(target)
    result = run_cli(
        "report", "--env", STAGING, "--store", _journal(tmp_path), "--html", str(target)
    )
    assert result.exit_code == 2, result.stderr
    assert "report.html: is a" in one_line(result)
    assert not stat.S_ISREG(os.lstat(target).st_mode)


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_a_device_node_is_refused_before_any_write(device: str) -> None:
    # check_regular is what atomic_write runs first; lstat only, the device is not touched.
    with pytest.raises(InputError, match="a character device"):
        check_regular(Path(device))


def test_atomic_write_refuses_a_symlink_and_leaves_no_temporary(tmp_path: Path) -> None:
    _symlink(tmp_path / "out.txt")
    with pytest.raises(InputError, match="symbolic link"):
        atomic_write(tmp_path / "out.txt", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.txt", "out.txt"]
