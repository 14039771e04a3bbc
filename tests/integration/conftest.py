"""Fixtures the verify job's integration tests share: a simulated account, and the verify world on it."""

from __future__ import annotations

import pytest

from tests.support.verify_world import VerifyWorld, without_default_amis


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch, aws: None) -> None:
    without_default_amis(monkeypatch)


@pytest.fixture
def verify(moto: None) -> VerifyWorld:
    """The default verify world; a test file that needs another environment defines its own."""
    return VerifyWorld()
