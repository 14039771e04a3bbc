"""The functions' embedded-metric-format documents become CloudWatch datapoints, as CloudWatch Logs
extracts them: what the dashboard graphs and the suite's alarms read (GetMetricStatistics answers with them).

"The CloudWatch embedded metric format is a JSON specification used to instruct CloudWatch Logs to
automatically extract metric values embedded in structured log events. You can use CloudWatch to graph and
create alarms on the extracted metric values" (Specification: Embedded metric format, Amazon CloudWatch User
Guide). Per the specification: ``_aws.Timestamp`` (milliseconds) is the metrics' timestamp; each
``CloudWatchMetrics`` directive names a ``Namespace``, ``Dimensions`` (an array of dimension sets, each an
array of member names of the root whose values are the dimensions' values) and ``Metrics`` (each a ``Name``
of a root member holding a number or an array of numbers). Every dimension set is one metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulator.cloudwatch.metrics import publish_datapoint


def publish_embedded_metrics(documents: Iterable[Mapping[str, Any]], *, at: float) -> int:
    """Each metric value of each document as a datapoint at ``at`` (epoch seconds on the simulated clock: the
    functions' Powertools stamps ``_aws.Timestamp`` with the host's clock); returns how many."""
    published = 0
    for document in documents:
        metadata = document["_aws"]
        for directive in metadata.get("CloudWatchMetrics", []):
            for dimension_set in directive.get("Dimensions", [[]]):
                dimensions = {name: str(document[name]) for name in dimension_set}
                for metric in directive.get("Metrics", []):
                    value = document[metric["Name"]]
                    for one in value if isinstance(value, list) else [value]:
                        publish_datapoint(
                            directive["Namespace"], metric["Name"], dimensions, float(one), period_start=at
                        )
                        published += 1
    return published
