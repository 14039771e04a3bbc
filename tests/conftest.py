"""Shared fixtures: a fresh simulated AWS per test (moto), with fake credentials that can never
reach a real account."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from simulator.fleet.fleet import SimulatedFleet
from simulator.moto_patches import simulated_aws

# Never real AWS: moto intercepts every call, and these credentials would be refused anyway.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_NAMESPACE": "EcsFleetOps",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_PROFILE", None)
# moto loads ~2,000 default AMIs into every new or reset EC2 backend (about 0.5 s at the start and again
# at the end of each test); the simulated hosts need none (moto does not validate a launch's ImageId).
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"

# Python's cyclic garbage collector took a fifth of an integration test's CPU (5.6 of 28.3 s on
# tests/integration/test_verify_checks_live.py, timed with gc.callbacks): moto, botocore and the simulated
# account allocate millions of small objects, and at CPython's default thresholds (700, 10, 10) the
# collector ran 760 times, its full collections walking every object alive, the imports' included. Two
# changes, neither of which changes what any test does (no test depends on when a cycle is freed):
# - a young generation of 50,000 objects, not 700 (30 collections instead of 760);
# - everything alive once the tests are collected (modules, botocore's parsed models, the test functions,
#   which live until the process ends) frozen out of the collector's sight (gc.freeze).
# Together: 28.3 s -> 23.0 s of CPU on that file (user + system), at a peak of about 390 MB of memory.
gc.set_threshold(50_000, 20, 100)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()


# Bounded property tests: the whole suite must stay under a few minutes on 2 cores.
hypothesis_settings.register_profile("ci", max_examples=60, deadline=None)
hypothesis_settings.load_profile("ci")


@pytest.fixture
def aws() -> Iterator[None]:
    with simulated_aws():
        yield


@pytest.fixture
def world(aws: None):  # type: ignore[no-untyped-def]
    from simulator.worlds.drain import DrainWorld

    return DrainWorld()


@pytest.fixture
def fleet() -> Iterator[SimulatedFleet]:
    """The whole suite beside the example cluster (simulator.fleet), in its own simulated account."""
    with simulated_aws():
        fleet = SimulatedFleet()
        try:
            yield fleet
        finally:
            fleet.close()
