"""Shared fixtures: a fresh simulated AWS per test (moto), with fake credentials that can never
reach a real account."""

from __future__ import annotations

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
