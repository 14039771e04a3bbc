"""Lambda's function timeout, enforced on the simulated clock, and the SDK's retries kept inside it.

Lambda stops an invocation when its function's Timeout has passed (60 s for drain and scale, 120 s for
verify; "Configure Lambda function timeout"): what the handler did before stays done, nothing after
happens, and the invocation fails ("Task timed out after 60.00 seconds"), so Lambda retries an
asynchronous event and SQS redelivers a batch. The simulated account cuts an invocation the same way
(``account.SimulatedFunction``), and ``fleetops.aws.clients.RETRY_CONFIG`` keeps one call's retries,
whatever the endpoint does, short enough for the handler to fail by itself first.

Each test terminates one host of the example cluster, running eight tasks, through its Auto Scaling
group: the drain's whole path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff

from fleetops.aws.clients import RETRY_CONFIG
from fleetops.idempotency import STORE_CLIENT_CONFIG
from simulator.account import TimelineEntry
from simulator.autoscaling.lifecycle import LifecycleActionRecord
from simulator.clock import SimulatedClock
from simulator.cloudformation.template import Template
from simulator.fleet.fleet import SimulatedFleet
from simulator.unanswered import UnansweredCalls

TASKS = 8  # four per host: the terminated host has tasks to move, and no scaling alarm fires
DRAIN_TIMEOUT = 60  # template.yaml's Globals: Function: Timeout


@contextmanager
def busy_fleet() -> Iterator[SimulatedFleet]:
    """The example cluster (two hosts, one per zone) running eight tasks of its service. Needs moto."""
    fleet = SimulatedFleet(parameters={"Announce": "everything"})
    try:
        d = fleet.definition
        fleet.clients("ecs").update_service(cluster=d.cluster_name, service=d.service_name, desiredCount=TASKS)
        fleet.set_traffic(TASKS * d.task_cpu / 2)
        fleet.run_for(5)  # the scheduler places the new tasks
        yield fleet
    finally:
        fleet.close()


def terminate_a_host(fleet: SimulatedFleet) -> LifecycleActionRecord:
    host = next(iter(fleet.hosts()))
    fleet.clients("autoscaling").terminate_instance_in_auto_scaling_group(
        InstanceId=host, ShouldDecrementDesiredCapacity=False
    )
    return fleet.hooks.action_for(host)


def drains(fleet: SimulatedFleet) -> list[TimelineEntry]:
    return [e for e in fleet.account.timeline if e.function == "drain"]


def stall_before(operation: str, seconds: float, clock: SimulatedClock) -> Callable[[str], None]:
    """A fault for ``SimulatedAccount.faults``: the runtime stalls ``seconds`` (a long pause, a slow
    dependency) just before the first call of ``operation`` ("job:Operation")."""
    left = [1]

    def fault(called: str) -> None:
        if left[0] and called == operation:
            left[0] = 0
            clock.advance(seconds)

    return fault


def test_a_drain_that_outlives_its_timeout_is_cut_before_its_next_call_and_retried_by_lambda(aws: None) -> None:
    with busy_fleet() as fleet:
        fleet.account.faults.append(stall_before("drain:UpdateContainerInstancesState", DRAIN_TIMEOUT + 1, fleet.clock))
        action = terminate_a_host(fleet)
        fleet.run_for(fleet.definition.hook_heartbeat_timeout + 120)
        fleet.run_until_quiet()

        first = drains(fleet)[0]
        assert first.via == "EventBridge"
        assert first.error == f"HandlerCrash: Task timed out after {DRAIN_TIMEOUT}.00 seconds"
        # What it did before stays done; the call it was about to make never left.
        assert "ListContainerInstances" in first.attempts
        assert "UpdateContainerInstancesState" not in first.attempts
        # A timed-out invocation is a failed one: Lambda retried the event.
        assert any(e.via == "EventBridge" and "(retry 1)" in e.event for e in drains(fleet))
        # And the drain still happened, through whichever copy of the event came next.
        assert (action.ended_by, action.result) == ("completion", "CONTINUE")
        assert fleet.tasks_lost() == 0
        assert fleet.account.dead_letters() == []


def test_an_endpoint_that_stops_answering_fails_the_call_before_the_function_times_out(aws: None) -> None:
    with busy_fleet() as fleet:
        read_timeout = float(RETRY_CONFIG.read_timeout)  # type: ignore[arg-type]
        unanswered = UnansweredCalls("drain:ListContainerInstances", read_timeout, fleet.clock)
        fleet.account.attempt_faults.append(unanswered)
        action = terminate_a_host(fleet)
        fleet.run_for(fleet.definition.hook_heartbeat_timeout + 120)
        fleet.run_until_quiet()

        first = drains(fleet)[0]
        # botocore gave up by itself, every attempt waited its read timeout, well inside the timeout
        # (the call failed with the SDK's own error, not Lambda's), and the start, tried again within
        # its invocation 5 s later, drained the host: no need for Lambda's retry a minute later.
        assert len(unanswered.attempts) == total_attempts()
        assert unanswered.attempts[-1] + read_timeout - first.at < DRAIN_TIMEOUT / 2
        assert first.error is None and first.calls["ecs:ListContainerInstances"] == 2, first.error
        assert first.attempts["ListContainerInstances"] == total_attempts() + 1
        assert (action.ended_by, action.result) == ("completion", "CONTINUE")
        assert fleet.tasks_lost() == 0
        assert fleet.account.dead_letters() == []


# -- the arithmetic of one call's worst case --------------------------------------------------------------
# The functions' clients, and the idempotency store's (Powertools' own DynamoDB client).
CLIENT_CONFIGS = {"RETRY_CONFIG": RETRY_CONFIG, "STORE_CLIENT_CONFIG": STORE_CLIENT_CONFIG}


def total_attempts(config: Config = RETRY_CONFIG) -> int:
    """botocore's reading: ``total_max_attempts`` counts every attempt, ``max_attempts`` only retries."""
    retries = config.retries or {}
    return int(retries.get("total_max_attempts", retries.get("max_attempts", 2) + 1))


def worst_case_seconds(config: Config, *, retry_after: bool) -> float:
    """One throttled call that never succeeds: every attempt waits to connect and to read, every sleep
    is the backoff's full cap (botocore 1.44.8 retries/standard.py: 1 s x 2^(n-1), at most 20 s; up to 5 s
    more where the answer carries x-amz-retry-after)."""
    attempts = total_attempts(config)
    base = ExponentialBackoff._DEFAULT_BACKOFF_CONFIG["throttling_base_scale"]
    sleeps = sum(min(base * 2**n, ExponentialBackoff._MAX_BACKOFF) for n in range(attempts - 1))
    if retry_after:
        sleeps += (attempts - 1) * ExponentialBackoff._RETRY_AFTER_MAX_ADDITIONAL
    waits = attempts * (float(config.connect_timeout) + float(config.read_timeout))  # type: ignore[arg-type]
    return sleeps + waits


def shortest_function_timeout() -> int:
    template = Template()
    default = int(template.document["Globals"]["Function"]["Timeout"])
    return min(
        int(resource["Properties"].get("Timeout", default))
        for resource in template.resources.values()
        if resource["Type"] == "AWS::Serverless::Function"
    )


@pytest.mark.parametrize("retry_after", [False, True])
@pytest.mark.parametrize("name", sorted(CLIENT_CONFIGS))
def test_one_calls_worst_case_leaves_the_invocation_time_to_record_and_report(name: str, retry_after: bool) -> None:
    # Half the timeout for botocore's own worst case; even where every answer asks for the longest
    # wait (x-amz-retry-after), more than a third of it.
    budget = shortest_function_timeout() * (2 / 3 if retry_after else 1 / 2)
    assert worst_case_seconds(CLIENT_CONFIGS[name], retry_after=retry_after) <= budget


def test_a_read_timeout_is_retried_by_botocore_like_a_throttled_call() -> None:
    # What UnansweredCalls relies on: botocore's standard mode retries a read that timed out.
    from botocore.retries.standard import TransientRetryableChecker

    assert any(issubclass(ReadTimeoutError, cls) for cls in TransientRetryableChecker._TRANSIENT_EXCEPTION_CLS)
