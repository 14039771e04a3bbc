"""The common part of every per-job world: the suite deployed from ``template.yaml`` into a simulated
account (``simulator.account``) with only the jobs a story needs switched on (``EnableDrain``,
``EnableScale``, ``EnableVerify``), beside a simulated cluster, on one simulated clock.

There is one way to build a world: the stack as a platform engineer deploys it. The queues, table, topic,
environment variables, event source mappings and IAM role each function gets are the template's, never
re-created by hand; what a story changes, it changes as a person would, with a template parameter or, for
a value the template would refuse, by editing the function's environment after the deploy
(``SimulatedAccount.reconfigure``). Each job's world (``drain``, ``scale``, ``verify`` in this package) adds
the cluster and the helpers its stories need.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import boto3

from simulator.account import SimulatedAccount, SimulatedFunction
from simulator.api_calls import ApiCallCounter
from simulator.autoscaling.hook_handlers import HookHandler, put_termination_hook
from simulator.autoscaling.lifecycle import SimulatedLifecycleHooks
from simulator.clock import SimulatedClock
from simulator.fleet.cluster import REGION, SimulatedCluster

# The template's switch for each job (template.yaml, Parameters).
JOB_SWITCHES = {"drain": "EnableDrain", "scale": "EnableScale", "verify": "EnableVerify"}


def switched_on(*jobs: str) -> dict[str, str]:
    """The three switches, with only ``jobs`` on."""
    unknown = set(jobs) - set(JOB_SWITCHES)
    if unknown:
        raise ValueError(f"no such job: {sorted(unknown)}")
    return {switch: "true" if job in jobs else "false" for job, switch in JOB_SWITCHES.items()}


@dataclass
class Invocation:
    at: float
    trigger: str  # "event" (a direct invocation by the story) or "recheck" (delivered from a queue)
    result: Any


class JobWorld:
    """One job under test (``job``), deployed with the ``jobs`` it works with, in its own account, beside
    a cluster (``SimulatedCluster``: an Auto Scaling group of ``hosts`` registered with ECS, with a
    termination hook named as the suite's default ``DrainHookNamePrefix`` names it)."""

    job: ClassVar[str]

    def __init__(
        self,
        *,
        jobs: tuple[str, ...] = (),
        parameters: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        hosts: int = 2,
        hook_timeout: int = 3600,
    ) -> None:
        self.clock = SimulatedClock()
        # The administrator's session: builds the cluster and reads what happened; the functions run under
        # their own roles (``function.session``).
        self.session = boto3.Session(region_name=REGION)
        self.cluster = SimulatedCluster(self.session, self.clock)
        self.hooks: SimulatedLifecycleHooks = self.cluster.build(hosts=hosts, hook_timeout=hook_timeout)
        self.hook_handlers: list[HookHandler] = []  # other people's termination hooks on the group
        self.account = SimulatedAccount(
            parameters={
                **switched_on(*(jobs or (self.job,))),
                "ClusterNames": self.cluster.name,
                "AutoScalingGroupNames": self.cluster.group,
                **(parameters or {}),
            },
            clock=self.clock,
            session=self.session,
        )
        if environment:
            self.account.reconfigure(self.job, environment)
        # ECS puts its container instance events on the account's default bus, where the stack's rules hear
        # them (the drain's, for a DRAINING host emptied of its tasks).
        self.cluster.on_instance_change = lambda event: self.account.put_event(event, source="ECS", quiet=True)
        self.cluster.announce_instance_changes()  # the hosts as registered: what every change is a change of
        self._looked = 0  # timeline entries already checked for failed invocations
        self._failures_expected = False
        # Every tick: ECS's scheduler, the other hooks' handlers, then Auto Scaling's hook timeouts.
        self.account.tickers.append(self._tick_cluster)

    def _tick_cluster(self) -> None:
        self.cluster.tick()
        for handler in self.hook_handlers:
            handler.tick()
        self.hooks.expire_overdue()

    def add_termination_hook(
        self, handler: HookHandler, *, heartbeat_timeout: int, default_result: str = "CONTINUE"
    ) -> None:
        """Another termination hook on the cluster's group, and the handler that answers it."""
        put_termination_hook(
            self.session.client("autoscaling"),
            self.cluster.group,
            handler,
            heartbeat_timeout=heartbeat_timeout,
            default_result=default_result,
        )
        self.hook_handlers.append(handler)

    # -- the function under test -------------------------------------------------------------------------
    @property
    def function(self) -> SimulatedFunction:
        return self.account.function(self.job)

    @property
    def handler(self) -> ModuleType:
        """The function's handler module, as its last cold start loaded it."""
        return self.function.module

    @property
    def environment(self) -> dict[str, str]:
        return self.function.environment

    @property
    def api(self) -> ApiCallCounter:
        """The AWS calls the function made since its cold start (a story resets it to count one step)."""
        return self.function.api_since_cold_start

    @property
    def invocations(self) -> list[Invocation]:
        """Every invocation of the function, oldest first, from the account's timeline."""
        return [
            Invocation(entry.at, "recheck" if entry.via == "SQS" else "event", entry.result)
            for entry in self.account.timeline
            if entry.function == self.job
        ]

    def invoke(self, event: Any, trigger: str = "event") -> Any:
        """A synchronous invocation by the story; a handler error is raised, as the Invoke API reports it."""
        return self.account.invoke(self.job, event, description=trigger, source="test")

    # -- time ----------------------------------------------------------------------------------------
    def advance_to(self, moment: float) -> None:
        self.account.advance_to(moment)
        self.no_unexpected_failure()

    def run_until(self, moment: float) -> None:
        self.account.run_until(moment)
        self.no_unexpected_failure()

    def run_until_quiet(self, *, max_deliveries: int = 1000) -> None:
        self.account.run_until_quiet(max_deliveries=max_deliveries)
        self.no_unexpected_failure()

    # -- failed invocations ------------------------------------------------------------------------------
    # A delivery from a queue, a rule or a topic that fails is Lambda's to retry (the account does, then
    # dead-letters it), so nothing raises into the story. A story that did not inject the fault must not
    # pass anyway: every way of letting time run ends here, and fails on a failed invocation no block of
    # ``failures_expected`` covers. (A direct invocation raises to its caller, as the Invoke API answers.)
    def no_unexpected_failure(self) -> None:
        failed = [e for e in self.account.timeline[self._looked :] if e.error and e.via != "direct"]
        self._looked = len(self.account.timeline)
        if failed and not self._failures_expected:
            described = "; ".join(f"{e.function} at {e.at - self.account.start:.0f} s: {e.error}" for e in failed)
            raise AssertionError(f"{len(failed)} invocation(s) failed and the story expected none: {described}")

    @contextmanager
    def failures_expected(self) -> Iterator[None]:
        """A block in which the story injects a fault: its failed invocations are Lambda's to retry."""
        self.no_unexpected_failure()
        self._failures_expected = True
        try:
            yield
        finally:
            self._failures_expected = False
            self._looked = len(self.account.timeline)

    # -- a queue of the stack (template.yaml's logical ID) ------------------------------------------------
    def waiting_in(self, queue: str) -> list[str]:
        return self.account.waiting_in(queue)

    def drop_waiting_in(self, queue: str) -> list[str]:
        return self.account.drop_waiting_in(queue)

    def sqs_event(self, queue: str, body: str, message_id: str | None = None) -> dict[str, Any]:
        return self.account.sqs_event(queue, body, message_id)

    # -- what came out -------------------------------------------------------------------------------
    def notifications(self) -> list[dict[str, str]]:
        return self.account.notifications()

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.account.dead_letters()
