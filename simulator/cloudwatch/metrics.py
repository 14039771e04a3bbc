"""Datapoints of the metrics AWS services publish themselves (namespace ``AWS/ECS``), stored in moto's
CloudWatch so that GetMetricStatistics answers with them.

ECS sends a cluster's and a service's CPU and memory utilization and reservation to CloudWatch "in
1-minute periods" ("Amazon ECS CloudWatch metrics", Amazon ECS Developer Guide). A datapoint's timestamp is
the start of its period (GetMetricStatistics, CloudWatch API Reference: ``Datapoint.Timestamp``). A caller
may not publish to an ``AWS/`` namespace itself (PutMetricData: "do not specify a namespace that begins with
AWS/"), so the simulation writes to the backend, as the service does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from moto.cloudwatch.models import cloudwatch_backends

from simulator.cloudformation.transform import ACCOUNT, REGION


def publish_datapoint(
    namespace: str, metric: str, dimensions: Mapping[str, str], value: float, *, period_start: float
) -> None:
    """One datapoint of ``metric`` for the period starting at ``period_start`` (epoch seconds)."""
    cloudwatch_backends[ACCOUNT][REGION].put_metric_data(
        namespace,
        [
            {
                "MetricName": metric,
                "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
                "Values": [value],
                # Naive UTC, as moto's own PutMetricData stores it (its GetMetricStatistics compares with it).
                "Timestamp": datetime.fromtimestamp(period_start, UTC).replace(tzinfo=None),
            }
        ],
    )
