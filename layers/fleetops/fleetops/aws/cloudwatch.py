"""CloudWatch: the state of named alarms, and the latest datapoint of an alarm's metric."""

from __future__ import annotations

from datetime import UTC, datetime
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
                namespace=alarm.get("Namespace"),
                statistic=alarm.get("Statistic"),
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

    def latest_datapoint(self, alarm: AlarmDetails, *, since: float, now: float) -> float | None:
        """The newest datapoint of a single-metric alarm's metric, with the alarm's statistic and period,
        among those whose period started at or after ``since`` (epoch seconds): only such a datapoint was
        measured wholly after a change made at ``since`` (a minute that began 59 s before it is mostly the
        old count). None if there is none yet, or the alarm is metric math or uses an extended statistic.

        An alarm announces its transition once; while it stays in ALARM the documents do not say that its
        ``StateReasonData`` follows each new evaluation (``StateUpdatedTimestamp`` follows the state and the
        evaluation state only: DescribeAlarms, CloudWatch API Reference). So a later look reads the metric
        itself: one GetMetricStatistics call, whose datapoints carry their period's start as ``Timestamp``."""
        if not (alarm.namespace and alarm.metric_name and alarm.statistic and alarm.period_seconds):
            return None
        period = alarm.period_seconds
        answer = self._client.get_metric_statistics(
            Namespace=alarm.namespace,
            MetricName=alarm.metric_name,
            Dimensions=[{"Name": name, "Value": value} for name, value in alarm.dimensions],
            StartTime=datetime.fromtimestamp(since - period, UTC),
            EndTime=datetime.fromtimestamp(now, UTC),
            Period=period,
            Statistics=[alarm.statistic],  # type: ignore[list-item]  # checked by CloudWatch: the alarm's own
        )
        points = [
            (point["Timestamp"].timestamp(), float(point[alarm.statistic]))  # type: ignore[literal-required]
            for point in answer.get("Datapoints", [])
            if alarm.statistic in point
        ]
        fresh = [(start, value) for start, value in points if start >= since]
        return max(fresh)[1] if fresh else None
