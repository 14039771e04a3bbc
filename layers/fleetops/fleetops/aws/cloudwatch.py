"""CloudWatch: the state of named alarms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetops.aws.clients import batched
from fleetops.models.scale import AlarmDetails
from fleetops.models.scale import AlarmState as ScaleAlarmState
from fleetops.models.verify import AlarmState

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

# DescribeAlarms accepts at most 100 alarm names per call.
DESCRIBE_ALARMS_BATCH = 100


class AlarmReader:
    def __init__(self, client: CloudWatchClient) -> None:
        self._client = client

    def states(self, names: list[str]) -> list[AlarmState]:
        """Metric and composite alarms by name; a name that does not exist is simply absent."""
        found: list[AlarmState] = []
        for batch in batched(names, DESCRIBE_ALARMS_BATCH):
            pages = self._client.get_paginator("describe_alarms").paginate(
                AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
            )
            for page in pages:
                for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                    found.append(
                        AlarmState(
                            name=alarm.get("AlarmName", ""),
                            state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
                            reason=alarm.get("StateReason", ""),
                        )
                    )
        return found

    def details(self, name: str) -> AlarmDetails | None:
        """One alarm as it is now (the scale job's "still in ALARM?"); None if it was deleted."""
        page = self._client.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        for alarm in page.get("MetricAlarms", []):
            dimensions = [*alarm.get("Dimensions", [])]
            for query in alarm.get("Metrics", []):
                dimensions.extend(query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", []))
            period = alarm.get("Period") or next(
                (q["MetricStat"]["Period"] for q in alarm.get("Metrics", []) if "MetricStat" in q), None
            )
            return AlarmDetails(
                name=alarm["AlarmName"],
                state=ScaleAlarmState(alarm.get("StateValue", "INSUFFICIENT_DATA")),
                comparison=alarm.get("ComparisonOperator"),
                threshold=alarm.get("Threshold"),
                metric_name=alarm.get("MetricName"),
                period_seconds=period,
                evaluation_periods=alarm.get("EvaluationPeriods"),
                dimensions=tuple(sorted({(d["Name"], d["Value"]) for d in dimensions})),
            )
        for composite in page.get("CompositeAlarms", []):
            return AlarmDetails(
                name=composite["AlarmName"],
                state=ScaleAlarmState(composite.get("StateValue", "INSUFFICIENT_DATA")),
                comparison=None,
                threshold=None,
                metric_name=None,
                period_seconds=None,
                evaluation_periods=None,
            )
        return None
