"""The scale job's world: the suite deployed from ``template.yaml`` with the drain and the scale job
(``JobWorld``), beside a cluster whose services really run tasks, with CloudWatch alarms.

An alarm fires the way CloudWatch does it: its state changes (moto) and ``decide`` delivers the
transition through the template's wiring, as an EventBridge event the scale rule must match or as the
notification of an alarm action on the scaling topic (published as CloudWatch, which the topic's policy
must let in). A host the scale job terminates through its group waits in ``Terminating:Wait``; Auto
Scaling announces it on EventBridge at once, and the drain job, through its own rule, answers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moto.core.authorization import disable_iam_authentication

from simulator.autoscaling.capacity import ScalingRoute, ServiceScheduler, route_scaling_to
from simulator.autoscaling.lifecycle import LifecycleActionRecord, sns_delivery
from simulator.autoscaling.rebalancing import AzRebalancing
from simulator.cloudwatch.alarms import AlarmChange
from simulator.worlds.base import JobWorld

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.literals import ComparisonOperatorType, StateValueType

FOLLOW_UP_QUEUE = "ScaleFollowUpQueue"  # template.yaml's logical ID
ALARM_TOPIC_OUTPUT = "ScalingAlarmTopicArn"  # the scaling topic, for alarms that notify it


class ScaleWorld(JobWorld):
    """``rules``: the stack's ``ScalingRules``. Unless ``parameters`` says otherwise, a world that acts
    (``ScaleDryRun`` false; the template's default is a dry run) and announces every decision (``Announce``
    everything, the scale code's own default; the template's announces only what needs a human)."""

    job = "scale"

    def __init__(
        self,
        *,
        hosts: int = 2,
        rules: list[dict[str, Any]] | None = None,
        parameters: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        jobs: tuple[str, ...] = ("drain", "scale"),
    ) -> None:
        super().__init__(
            jobs=jobs,
            parameters={
                "ScalingRules": json.dumps(rules or []),
                "ScaleDryRun": "false",
                "Announce": "everything",
                **(parameters or {}),
            },
            environment=environment,
            hosts=hosts,
        )
        self.services = ServiceScheduler(self.cluster)
        route_scaling_to(ScalingRoute(self.hooks, self._announce_termination))
        # Auto Scaling rebalances the group's zones every tick; the hosts it launches join ECS at once.
        self.rebalancing = AzRebalancing(
            self.hooks.backend,
            self.hooks,
            self.clock,
            self.cluster.group,
            on_termination=self._announce_termination,
            on_launch=self.cluster.register_host,
        )
        self.account.tickers.append(self.rebalancing.tick)

    def close(self) -> None:
        route_scaling_to(None)

    def _announce_termination(self, actions: list[LifecycleActionRecord]) -> None:
        """A host entered ``Terminating:Wait``: Auto Scaling puts each hook's action on EventBridge, where
        the drain's rule picks up its own hook's."""
        for action in actions:
            event = self.hooks.eventbridge_event(action)
            event["time"] = self.account.iso_time()
            self.account.put_event(event, source="Auto Scaling")

    # -- alarms ---------------------------------------------------------------------------------
    def alarm(
        self,
        name: str,
        *,
        metric: str,
        dimensions: dict[str, str],
        comparison: ComparisonOperatorType,
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

    def service_cpu_alarm(
        self, name: str, *, comparison: ComparisonOperatorType, threshold: float, service: str = "web"
    ) -> None:
        """The classic stack's service CPUUtilization alarm (3 minutes of 1-minute data)."""
        self.alarm(
            name,
            metric="CPUUtilization",
            dimensions={"ClusterName": self.cluster.name, "ServiceName": service},
            comparison=comparison,
            threshold=threshold,
        )

    def cluster_reservation_alarm(
        self,
        name: str,
        *,
        comparison: ComparisonOperatorType,
        threshold: float,
        period: int = 60,
        evaluation_periods: int = 3,
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

    def set_state(self, name: str, state: StateValueType) -> None:
        self.session.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue=state, StateReason="simulated")

    def fire(
        self, name: str, value: float, *, via: str = "eventbridge", state: StateValueType = "ALARM"
    ) -> dict[str, Any]:
        """Change the alarm's state and return what CloudWatch sends for it: the EventBridge event, or
        (``via="sns"``) the notification of an alarm action on the stack's scaling topic. ``decide``
        delivers it."""
        alarm = self.session.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        self.set_state(name, state)
        change = AlarmChange(alarm, old=alarm["StateValue"], new=state, value=value, at=self.clock())
        if via == "sns":
            return sns_delivery(
                change.sns_message(), self.account.stack.outputs[ALARM_TOPIC_OUTPUT], subject=change.subject
            )
        return change.eventbridge_event()

    # -- delivering to the function -------------------------------------------------------------
    def deliver(self, event: dict[str, Any]) -> Any:
        """Deliver what CloudWatch sent (``fire``) through the template's wiring, now, and return what the
        scale function answered: an EventBridge event goes on the default bus (the scale rule's pattern
        decides), an SNS notification is published to its topic as CloudWatch (the topic's policy and the
        function's subscription decide). Whatever else falls due meanwhile is delivered too (the drain
        answering a host terminated by the decision)."""
        # The simulated services deliver, not a principal under test: even from inside an invocation (a
        # story interleaving two deliveries), the administrator's calls here are not the function's.
        with disable_iam_authentication():
            start = len(self.account.timeline)
            if "Records" in event:
                notification = event["Records"][0]["Sns"]
                via = "SNS"
                self.account.publish(
                    notification["TopicArn"],
                    notification["Message"],
                    subject=notification.get("Subject"),
                    source="CloudWatch",
                    as_service="cloudwatch.amazonaws.com",
                    on_behalf_of=json.loads(notification["Message"]).get("AlarmArn"),
                )
            else:
                via = "EventBridge"
                self.account.put_event(event, source="CloudWatch")
            self.account.run_until(self.clock())
        delivered = [e for e in self.account.timeline[start:] if e.function == self.job and e.via == via]
        assert delivered, f"not delivered to the scale function by {via}: {self.account.timeline[start:]}"
        assert len(delivered) == 1, delivered
        [entry] = delivered
        assert entry.error is None, f"the invocation failed: {entry.error}"
        self.no_unexpected_failure()  # nor any other that fell due meanwhile (the drain's)
        return entry.result

    def decide(self, event: dict[str, Any]) -> dict[str, Any]:
        """Deliver one alarm transition (``deliver``) and return its one result."""
        results = self.deliver(event)["results"]
        assert len(results) == 1, results
        return dict(results[0])

    # -- follow-ups (the scale function's own queue) ----------------------------------------------
    def pending_follow_ups(self) -> list[tuple[float, str]]:
        """Follow-ups waiting in the queue, as (due on the simulated clock, body), earliest first."""
        return self.account.due_in(FOLLOW_UP_QUEUE)

    def deliver_follow_up(self) -> None:
        """Let time run (delivering what falls due) until the next follow-up has been delivered by the
        queue's event source mapping."""
        pending = self.pending_follow_ups()
        assert pending, "no follow-up is pending"
        self.run_until(pending[0][0])

    def drop_follow_ups(self) -> list[str]:
        """Take every follow-up off the queue (a story then delivers it by hand); returns their bodies."""
        return self.drop_waiting_in(FOLLOW_UP_QUEUE)

    def follow_up_event(self, body: str) -> dict[str, Any]:
        """The event the queue's event source mapping sends for one follow-up."""
        return self.sqs_event(FOLLOW_UP_QUEUE, body)

    # -- the drain answering the scale-ins ---------------------------------------------------------
    def drain_terminations(self, *, max_deliveries: int = 1000) -> None:
        """Let time run (delivering what falls due) until no host waits on the drain's hook any more:
        every termination begun, including those that begin meanwhile (Auto Scaling's rebalancing), is
        drained and completed."""
        for _ in range(max_deliveries):
            due = self.account.next_due()
            if not self.hooks.active_actions(self.cluster.hook_name) or due is None:
                return
            self.run_until(due)
        raise AssertionError(f"still draining after {max_deliveries} deliveries: a runaway loop")

    def register_new_hosts(self) -> list[str]:
        """The ECS agent of each host the group launched registers it with the cluster."""
        new = [i for i in self.group()["instances"] if i not in self.cluster.container_instances]
        for instance_id in new:
            self.cluster.register_host(instance_id)
        return new

    def hosts_boot_in(self, seconds: float) -> Callable[[], list[str]]:
        """A ticker: the ECS agent of each host the group launched registers it ``seconds`` after the host
        was first seen in service (the simulated fleet's ``BOOT_SECONDS``), not at the next tick."""
        first_seen: dict[str, float] = {}

        def register_booted() -> list[str]:
            now = self.clock()
            booted = []
            for instance_id, state in self.group()["instances"].items():
                if instance_id in self.cluster.container_instances or state != "InService":
                    continue
                if now - first_seen.setdefault(instance_id, now) >= seconds:
                    self.cluster.register_host(instance_id)
                    booted.append(instance_id)
            return booted

        return register_booted

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

    def hand_group_to_capacity_provider(self, name: str = "prod-capacity") -> None:
        """The group becomes a capacity provider's, with managed scaling on, and the cluster's: ECS, not the
        suite, now sizes it (CreateCapacityProvider, PutClusterCapacityProviders)."""
        ecs = self.session.client("ecs")
        group_arn = self.session.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.cluster.group]
        )["AutoScalingGroups"][0]["AutoScalingGroupARN"]
        ecs.create_capacity_provider(
            name=name,
            autoScalingGroupProvider={
                "autoScalingGroupArn": group_arn,
                "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
                "managedTerminationProtection": "DISABLED",
            },
        )
        ecs.put_cluster_capacity_providers(
            cluster=self.cluster.name, capacityProviders=[name], defaultCapacityProviderStrategy=[]
        )

    def set_group_bounds(self, *, minimum: int, maximum: int) -> None:
        self.session.client("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=self.cluster.group, MinSize=minimum, MaxSize=maximum
        )

    def desired_count(self, service: str) -> int:
        found = self.session.client("ecs").describe_services(cluster=self.cluster.name, services=[service])
        return int(found["services"][0]["desiredCount"])
