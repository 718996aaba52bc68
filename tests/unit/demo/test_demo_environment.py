"""`zdd demo` in a directory with no environments/ (a new repository, or none at all) runs
zdd's packaged example instead of failing on a missing environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import load_environment
from generator.demo.stack import demo_environment
from generator.errors import InputError
from generator.infra.assets import assets
from tests.conftest import ROOT


@pytest.fixture
def empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ZDD_ENVIRONMENTS", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_package_carries_the_staging_example() -> None:
    packaged = assets() / "environments" / "staging.yaml"
    assert packaged.read_text() == (ROOT / "environments" / "staging.yaml").read_text()


def test_an_empty_directory_gets_the_packaged_staging_example(empty_dir: Path) -> None:
    path, packaged = demo_environment("staging", empty_dir / "build" / "demo")
    assert packaged
    assert path == empty_dir / "build" / "demo" / "example" / "staging.yaml"
    env = load_environment(str(path))
    assert (env.service, env.name) == ("shop", "staging")
    assert not (empty_dir / "environments").exists()  # nothing written into the repository


def test_the_repository_s_own_environment_comes_first(empty_dir: Path) -> None:
    (empty_dir / "environments").mkdir()
    own = empty_dir / "environments" / "staging.yaml"
    own.write_text((ROOT / "environments" / "staging.yaml").read_text().replace("shop", "cart"))
    path, packaged = demo_environment("staging", empty_dir / "work")
    assert not packaged and path.resolve() == own.resolve()
    assert load_environment(str(path)).service == "cart"


def test_a_name_with_no_example_and_no_file_is_still_an_input_error(empty_dir: Path) -> None:
    path, packaged = demo_environment("nosuch", empty_dir / "work")
    assert not packaged
    with pytest.raises(InputError, match="environment 'nosuch' not found"):
        load_environment("nosuch")
    assert path.name == "nosuch.yaml"
