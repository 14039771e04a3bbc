"""The common part of every per-job world: the suite deployed from ``template.yaml`` into a simulated
account (``simulator.account``) with only the jobs a story needs switched on (``EnableDrain``,
``EnableScale``, ``EnableVerify``), beside a simulated cluster, on one simulated clock.

There is one way to build a world: the stack as a platform engineer deploys it. The queues, table, topic,
environment variables, event source mappings and IAM role each function gets are the template's, never
re-created by hand; what a story changes, it changes as a person would, with a template parameter or, for
a value the template would refuse, by editing the function's environment after the deploy
(``SimulatedAccount.reconfigure``). Each job's world (``world``, ``scale_world``, ``verify_world``) adds
the cluster and the helpers its stories need.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import boto3

from simulator.account import SimulatedAccount, SimulatedFunction
from simulator.api_calls import ApiCallCounter
from simulator.clock import SimulatedClock
from simulator.fleet.cluster import REGION
from simulator.moto_gaps import close_moto_gaps

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
    """One job under test (``job``), deployed with the ``jobs`` it works with, in its own account."""

    job: ClassVar[str]

    def __init__(
        self,
        *,
        cluster_name: str,
        group_name: str,
        jobs: tuple[str, ...] = (),
        parameters: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        clock: SimulatedClock | None = None,
        session: boto3.Session | None = None,
    ) -> None:
        close_moto_gaps()
        self.clock = clock or SimulatedClock()
        # The administrator's session: builds the cluster and reads what happened; the functions run under
        # their own roles (``function.session``).
        self.session = session or boto3.Session(region_name=REGION)
        self.account = SimulatedAccount(
            parameters={
                **switched_on(*(jobs or (self.job,))),
                "ClusterNames": cluster_name,
                "AutoScalingGroupNames": group_name,
                **(parameters or {}),
            },
            clock=self.clock,
            session=self.session,
        )
        if environment:
            self.account.reconfigure(self.job, environment)

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

    def run_until(self, moment: float) -> None:
        self.account.run_until(moment)

    def run_until_quiet(self, *, max_deliveries: int = 1000) -> None:
        self.account.run_until_quiet(max_deliveries=max_deliveries)

    # -- what came out -------------------------------------------------------------------------------
    def notifications(self) -> list[dict[str, str]]:
        return self.account.notifications()

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.account.dead_letters()
