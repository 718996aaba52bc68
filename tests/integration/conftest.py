"""The integration tier's emulator: one moto with zdd's additions per pytest worker.

Started once per worker (``emulator_url``) and emptied for each module that asks for a
fresh account (``server``). The suite runs with ``--dist loadscope``: every module runs on
one worker, in order, so tests that share state in that account (an applied stack, a
pipeline's history, the fault trials' results) stay together; pytest tears a module's
fixtures down before the next module starts, so two modules never use one emulator at once.
(``--dist loadgroup`` with ``xdist_group`` marks would be finer, but pytest-xdist 3.8 cannot
group under pytest 9.2: it renames node ids, which pytest 9.2 no longer lets it do.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.demo.emulator import moto_server_process, reset_emulator


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    """``python -m generator.demo.moto`` on a free port of 127.0.0.1, once per worker."""
    with moto_server_process() as url:
        yield url


@pytest.fixture(scope="module")
def server(emulator_url: str) -> str:
    """The worker's emulator, emptied for this module."""
    reset_emulator(emulator_url)
    return emulator_url


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """zdd's wheel, built once per worker from the checkout (tests/support/wheel.py)."""
    from tests.support.wheel import build_wheel

    return build_wheel(tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def venv_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a clean venv with the wheel (and its [demo] extra) installed."""
    from tests.support.wheel import install_wheel

    return install_wheel(wheel, tmp_path_factory.mktemp("venv"))
