"""Fixtures the verify job's integration tests share: the verify world, deployed from the template."""

from __future__ import annotations

import pytest

from simulator.worlds.verify import VerifyWorld


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    """The default verify world; a test file that needs other parameters defines its own."""
    return VerifyWorld()
