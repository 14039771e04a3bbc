"""A follow-up of a tracking rule sizes its step only from a datapoint that measured the count the last
change set: one whose period started at or after that change (CloudWatch's GetMetricStatistics stamps a
datapoint with its period's start). Review of issue 11, finding 3."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3

from fleetops.aws.cloudwatch import AlarmReader
from fleetops.models.scale import AlarmDetails, AlarmState

MINUTE_START = 1_767_225_600  # 2026-01-01T00:00:00Z, a whole minute
WEB = (("ClusterName", "prod"), ("ServiceName", "web"))
CPU_HIGH = AlarmDetails(
    name="ecs-scale-web-cpu-high",
    state=AlarmState.ALARM,
    comparison="GreaterThanThreshold",
    threshold=75.0,
    metric_name="CPUUtilization",
    period_seconds=60,
    evaluation_periods=3,
    dimensions=WEB,
    namespace="AWS/ECS",
    statistic="Average",
)


def publish_cpu(minute_start: int, percent: float) -> None:
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_data(
        Namespace="AWS/ECS",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": name, "Value": value} for name, value in WEB],
                "Timestamp": datetime.fromtimestamp(minute_start + 1, UTC),
                "Value": percent,
            }
        ],
    )


def test_a_minute_that_began_before_the_change_is_not_read_as_its_result(aws: None) -> None:
    reader = AlarmReader(boto3.client("cloudwatch", region_name="us-east-1"))
    # The old count measured 100 % over the minute; the service was scaled 59 s into it.
    publish_cpu(MINUTE_START, 100.0)
    changed_at = MINUTE_START + 59

    # That minute is 59 s of the old count: the follow-up finds nothing to size a step from yet.
    assert reader.latest_datapoint(CPU_HIGH, since=changed_at, now=changed_at + 60) is None

    # The next minute measured only the new count: that one is the change's result.
    publish_cpu(MINUTE_START + 60, 70.0)
    assert reader.latest_datapoint(CPU_HIGH, since=changed_at, now=MINUTE_START + 150) == 70.0
    # A minute that starts exactly at the change counts too.
    assert reader.latest_datapoint(CPU_HIGH, since=MINUTE_START + 60, now=MINUTE_START + 150) == 70.0
