"""Issue 24 ("Rollback never lies, round two"): the hostile tester's classes."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any AWS call would fail at once (exit 1): an exit 2 proves none was made."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
