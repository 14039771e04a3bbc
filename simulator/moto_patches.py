"""Every patch the simulator makes to moto (and botocore), installed by one context manager and removed
when it ends: ``simulated_aws()`` (moto's ``mock_aws`` with the patches) is how the tests, the demo and the
benchmarks enter the simulated AWS.

Each patch is declared beside the behaviour it adds, in the module of its AWS service (``PATCHES``), with
the AWS document it follows; this module only lists them, in the order they install: a ``Wrap`` receives
what the patches before it installed (the task set checks wrap the service deployments' DescribeServices
and UpdateService, the weighted groups' SetDesiredCapacity wraps the standby one).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from moto import mock_aws

from simulator import faults, shared_models
from simulator.autoscaling import capacity, standby_gaps, weighted_groups
from simulator.autoscaling import gaps as autoscaling_gaps
from simulator.cloudformation import describe_stacks
from simulator.codedeploy import gaps as codedeploy_gaps
from simulator.ecs import gaps as ecs_gaps
from simulator.ecs import service_deployment_gaps, stopped_tasks, tag_rules, task_set_gaps
from simulator.elbv2 import gaps as elbv2_gaps
from simulator.iam import enforcement
from simulator.patching import Patch, Undo
from simulator.sns import encryption as sns_encryption
from simulator.sns import gaps as sns_gaps
from simulator.sqs import gaps as sqs_gaps
from simulator.sqs import receipts
from simulator.ssm import gaps as ssm_gaps

EVERY_PATCH: tuple[Patch, ...] = (
    *shared_models.PATCHES,  # botocore's models parsed once per process (speed only)
    *enforcement.PATCHES,  # IAM, checked only inside enforced_iam()
    *sqs_gaps.PATCHES,
    *receipts.PATCHES,
    *sns_gaps.PATCHES,
    *sns_encryption.PATCHES,  # over enforcement's SNS check: the topic's key, for a publisher under IAM
    *ssm_gaps.PATCHES,
    *autoscaling_gaps.PATCHES,
    *standby_gaps.PATCHES,
    *weighted_groups.PATCHES,  # over standby_gaps' set_desired_capacity
    *capacity.PATCHES,
    *ecs_gaps.PATCHES,
    *tag_rules.PATCHES,  # over ecs_gaps' create_service
    *service_deployment_gaps.PATCHES,
    *task_set_gaps.PATCHES,  # over service_deployment_gaps' and ecs_gaps' responses
    *stopped_tasks.PATCHES,
    *elbv2_gaps.PATCHES,
    *codedeploy_gaps.PATCHES,
    *describe_stacks.PATCHES,  # the simulator's deployed stacks, for DescribeStacks
    *faults.PATCHES,  # throttling and outages, only while a test's faults.throttled() or outage() is open
)

_depth = 0  # how many patched_moto() blocks are open (a test's own account may open one inside another)


@contextmanager
def patched_moto() -> Iterator[None]:
    """Install every patch, in order; on the way out remove them in reverse order, and forget the routes a
    world set (lifecycle actions, capacity calls, the stop clock, the deployments' record, SQS receipts).
    A nested block (moto's mock_aws nests too) installs nothing again: patching over the patches would wrap
    them twice; the outermost block removes them."""
    global _depth
    outermost = _depth == 0
    _depth += 1
    undo: list[Undo] = []
    try:
        if outermost:
            for patch in EVERY_PATCH:
                undo.append(patch.install())
        yield
    finally:
        # Counted down, never reset: blocks that end out of order still bring the count back to 0.
        _depth -= 1
        for step in reversed(undo):
            step()
        if outermost:
            autoscaling_gaps.route_lifecycle_actions_to(None)
            capacity.route_scaling_to(None)
            stopped_tasks.time_stops_on(time.time)
            service_deployment_gaps.new_record()
            receipts.forget_receipts()
            weighted_groups.terminate_decrements_by_weight = True  # a story may model the other answer


@contextmanager
def simulated_aws() -> Iterator[None]:
    """moto's ``mock_aws`` (every call answered in memory; fake credentials) with the simulator's patches."""
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        stack.enter_context(patched_moto())
        yield
