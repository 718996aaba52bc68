"""Stop signals: the first one stops the run, later ones never cut a rollback short."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from generator import interrupts


@pytest.fixture(autouse=True)
def handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in interrupts.STOP_SIGNALS}
    interrupts.install()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    interrupts.reset()


@pytest.mark.parametrize("signum", interrupts.STOP_SIGNALS, ids=lambda s: s.name)
def test_each_stop_signal_stops_the_run_once(signum: signal.Signals) -> None:
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signum)
    os.kill(os.getpid(), signum)  # the run is already stopping: absorbed
    assert interrupts.stopping()
    assert interrupts.received() == [signum, signum]


def test_two_signals_a_moment_apart_raise_once() -> None:
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)  # pragma: no cover - never reached
    os.kill(os.getpid(), signal.SIGINT)
    assert len(interrupts.received()) >= 2


def test_a_critical_block_finishes_before_the_signal_acts() -> None:
    done: list[str] = []
    with pytest.raises(KeyboardInterrupt), interrupts.critical():
        os.kill(os.getpid(), signal.SIGTERM)
        done.append("journal written")
    assert done == ["journal written"]


def test_a_critical_block_that_fails_reports_its_own_error() -> None:
    with pytest.raises(ValueError), interrupts.critical():
        os.kill(os.getpid(), signal.SIGTERM)
        raise ValueError("the write failed")
    assert interrupts.stopping()  # the run stops anyway


def test_a_shielded_block_absorbs_signals() -> None:
    done: list[str] = []
    with interrupts.shielded():
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGHUP)
        with interrupts.critical():  # a journal write inside the rollback
            os.kill(os.getpid(), signal.SIGTERM)
        done.append("rolled back")
    assert done == ["rolled back"]
    assert interrupts.stopping()
    os.kill(os.getpid(), signal.SIGINT)  # still stopping: nothing raised


def test_reset_makes_the_process_interruptible_again() -> None:
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    interrupts.reset()
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
