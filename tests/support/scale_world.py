"""A simulated account for the scale job: the drain job's world (queues, table, topic, a cluster with
a termination hook, the real drain handler) plus CloudWatch alarms, services that really run tasks,
and the real scale handler, on the same simulated clock.

An alarm is fired the way CloudWatch does it: its state changes (moto) and the transition is
delivered to the scale handler as an EventBridge event or an SNS notification. A host the scale job
terminates through its group waits in ``Terminating:Wait``; ``drain_terminations`` delivers the
hook's event to the drain handler and runs the drain to its end.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from fleetops.scale.service import ScaleService
from fleetops.scale.settings import ScaleSettings
from simulator.autoscaling.capacity import ScalingRoute, ServiceScheduler, route_scaling_to
from simulator.autoscaling.lifecycle import LifecycleActionRecord, sns_delivery
from simulator.autoscaling.rebalancing import AzRebalancing
from simulator.awslambda.context import FakeLambdaContext
from simulator.awslambda.functions import load_handler
from simulator.cloudwatch.alarms import AlarmChange
from simulator.fleet.cluster import ACCOUNT, REGION
from simulator.sqs.queues import DelayedDeliveries
from tests.support.world import DrainWorld

FOLLOW_UP_QUEUE = "scale-follow-ups"


class ScaleWorld:
    def __init__(
        self, *, hosts: int = 2, rules: list[dict[str, Any]] | None = None, environment: dict[str, str] | None = None
    ) -> None:
        self.drain = DrainWorld(hosts=hosts)
        self.session = self.drain.session
        self.clock = self.drain.clock
        self.cluster = self.drain.cluster
        self.hooks = self.drain.hooks
        self.api = self.drain.api
        self.services = ServiceScheduler(self.cluster)
        self.terminations: list[LifecycleActionRecord] = []
        self.follow_up_queue_url = self.session.client("sqs").create_queue(QueueName=FOLLOW_UP_QUEUE)["QueueUrl"]
        self.follow_ups = DelayedDeliveries(FOLLOW_UP_QUEUE, self.clock)
        route_scaling_to(ScalingRoute(self.hooks, self.terminations.extend))
        # Auto Scaling rebalances the group's zones every tick; the hosts it launches join ECS at once.
        self.rebalancing = AzRebalancing(
            self.hooks.backend,
            self.hooks,
            self.clock,
            self.cluster.group,
            on_termination=self.terminations.extend,
            on_launch=self.cluster.register_host,
        )
        self.drain.tickers.append(self.rebalancing.tick)
        self.environment = {
            "DEAD_LETTER_QUEUE_URL": self.drain.dead_letter_queue_url,
            "IDEMPOTENCY_TABLE": "idempotency",
            "NOTIFICATION_TOPIC_ARN": self.drain.topic_arn,
            "CLUSTER_NAMES": self.cluster.name,
            "AUTO_SCALING_GROUP_NAMES": self.cluster.group,
            "SCALING_RULES": json.dumps(rules or []),
            "DRY_RUN": "false",  # a world where scaling acts (the template's and the code's default is a dry run)
            "FOLLOW_UP_QUEUE_URL": self.follow_up_queue_url,
            "POWERTOOLS_SERVICE_NAME": "ecs-fleet-ops-scale",
            "AWS_DEFAULT_REGION": REGION,
            **(environment or {}),
        }
        self.handler: ModuleType = load_handler("scale", self.environment)
        self.settings = ScaleSettings.from_environment(self.environment)
        # The handler's own service, rebuilt with the simulated clock and the counted session.
        self.handler.service = ScaleService(self.settings, session=self.session, clock=self.clock)

    def close(self) -> None:
        route_scaling_to(None)

    # -- alarms ---------------------------------------------------------------------------------
    def alarm(
        self,
        name: str,
        *,
        metric: str,
        dimensions: dict[str, str],
        comparison: str,
        threshold: float,
        period: int = 60,
        evaluation_periods: int = 3,
    ) -> None:
        self.session.client("cloudwatch").put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/ECS",
            MetricName=metric,
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
            Statistic="Average",
            Period=period,
            EvaluationPeriods=evaluation_periods,
            Threshold=threshold,
            ComparisonOperator=comparison,
        )

    def service_cpu_alarm(self, name: str, *, comparison: str, threshold: float, service: str = "web") -> None:
        """The classic stack's service CPUUtilization alarm (3 minutes of 1-minute data)."""
        self.alarm(
            name,
            metric="CPUUtilization",
            dimensions={"ClusterName": self.cluster.name, "ServiceName": service},
            comparison=comparison,
            threshold=threshold,
        )

    def cluster_reservation_alarm(
        self, name: str, *, comparison: str, threshold: float, period: int = 60, evaluation_periods: int = 3
    ) -> None:
        """The classic stack's cluster CPUReservation alarm."""
        self.alarm(
            name,
            metric="CPUReservation",
            dimensions={"ClusterName": self.cluster.name},
            comparison=comparison,
            threshold=threshold,
            period=period,
            evaluation_periods=evaluation_periods,
        )

    def set_state(self, name: str, state: str) -> None:
        self.session.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue=state, StateReason="simulated")

    def fire(self, name: str, value: float, *, via: str = "eventbridge", state: str = "ALARM") -> dict[str, Any]:
        """Change the alarm's state and return the event CloudWatch would deliver for it."""
        alarm = self.session.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        self.set_state(name, state)
        change = AlarmChange(alarm, old=alarm["StateValue"], new=state, value=value, at=self.clock())
        if via == "sns":
            return sns_delivery(
                change.sns_message(), f"arn:aws:sns:{REGION}:{ACCOUNT}:scaling-alarms", subject=change.subject
            )
        return change.eventbridge_event()

    # -- running the handlers -------------------------------------------------------------------
    def invoke(self, event: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.handler.lambda_handler(
            event, FakeLambdaContext(function_name="ecs-fleet-ops-scale")
        )
        return result

    def decide(self, event: Any) -> dict[str, Any]:
        """Invoke with one alarm transition and return its one result."""
        results = self.invoke(event)["results"]
        assert len(results) == 1, results
        return dict(results[0])

    def pending_follow_ups(self) -> list[tuple[float, str]]:
        """Follow-ups sent to the queue, as (due on the simulated clock, body), earliest first."""
        return [(due.at, due.body) for due in self.follow_ups.pending()]

    def deliver_follow_up(self) -> dict[str, Any]:
        """Wait (simulated) until the next follow-up is due and deliver it as the event source would."""
        due = self.follow_ups.next()
        assert due is not None, "no follow-up is pending"
        self.drain.advance_to(due.at)
        return self.invoke(self.follow_ups.event(due.body))

    def drain_terminations(self) -> None:
        """Deliver each pending termination hook to the drain job and run the drains to their end,
        including those of terminations that begin meanwhile (Auto Scaling's rebalancing)."""
        while self.terminations:
            while self.terminations:
                record = self.terminations.pop(0)
                self.drain.invoke(self.hooks.eventbridge_event(record), trigger="lifecycle")
            self.drain.run_until_quiet()

    def register_new_hosts(self) -> list[str]:
        """The ECS agent of each host the group launched registers it with the cluster."""
        new = [i for i in self.group()["instances"] if i not in self.cluster.container_instances]
        for instance_id in new:
            self.cluster.register_host(instance_id)
        return new

    # -- what the account looks like ------------------------------------------------------------
    def group(self) -> dict[str, Any]:
        group = self.session.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.cluster.group]
        )["AutoScalingGroups"][0]
        return {
            "desired": group["DesiredCapacity"],
            "min": group["MinSize"],
            "max": group["MaxSize"],
            "instances": {i["InstanceId"]: i["LifecycleState"] for i in group["Instances"]},
        }

    def enter_standby(self, instance_id: str, *, decrement: bool = True) -> None:
        """An operator sets a host aside (EnterStandby, through the API as AWS checks it: ``standby_gaps``).
        Its ECS container instance stays as it is: ACTIVE, its tasks running, unless drained as well."""
        self.session.client("autoscaling").enter_standby(
            AutoScalingGroupName=self.cluster.group, InstanceIds=[instance_id], ShouldDecrementDesiredCapacity=decrement
        )

    def set_group_bounds(self, *, minimum: int, maximum: int) -> None:
        self.session.client("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=self.cluster.group, MinSize=minimum, MaxSize=maximum
        )

    def desired_count(self, service: str) -> int:
        found = self.session.client("ecs").describe_services(cluster=self.cluster.name, services=[service])
        return int(found["services"][0]["desiredCount"])

    def notifications(self) -> list[dict[str, str]]:
        return self.drain.notifications()

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.drain.dead_letters()
