"""A CloudWatch alarm's state change, in the two shapes CloudWatch delivers it: the EventBridge
``CloudWatch Alarm State Change`` event and the SNS notification of an alarm action."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.cloudformation.transform import ACCOUNT, REGION


@dataclass(frozen=True)
class AlarmChange:
    alarm: Mapping[str, Any]  # as DescribeAlarms returns it (MetricAlarms[n])
    old: str
    new: str
    value: float  # the datapoint that crossed the threshold
    at: float  # epoch seconds

    @property
    def name(self) -> str:
        return str(self.alarm["AlarmName"])

    @property
    def subject(self) -> str:
        return f'{self.new}: "{self.name}" in US East (N. Virginia)'

    @property
    def _when(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)

    @property
    def _stamp(self) -> str:
        return self._when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self._when.microsecond // 1000:03d}+0000"

    @property
    def _reason(self) -> str:
        periods = self.alarm["EvaluationPeriods"]
        side = "greater" if "Greater" in self.alarm["ComparisonOperator"] else "less"
        if self.new != "ALARM":
            side = "not " + side
        return (
            f"Threshold Crossed: {periods} out of the last {periods} datapoints "
            f"[{self.value} ({self._when:%d/%m/%y %H:%M:%S})] was {side} than the threshold "
            f"({self.alarm['Threshold']})."
        )

    @property
    def _dimensions(self) -> dict[str, str]:
        return {d["Name"]: d["Value"] for d in self.alarm.get("Dimensions", [])}

    def eventbridge_event(self) -> dict[str, Any]:
        reason_data = {
            "version": "1.0",
            "queryDate": self._stamp,
            "statistic": "Average",
            "period": self.alarm["Period"],
            "recentDatapoints": [self.value],
            "threshold": self.alarm["Threshold"],
        }
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch",
            "account": ACCOUNT,
            "time": self._when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [self.alarm["AlarmArn"]],
            "detail": {
                "alarmName": self.name,
                "state": {
                    "value": self.new,
                    "reason": self._reason,
                    "reasonData": json.dumps(reason_data),
                    "timestamp": self._stamp,
                },
                "previousState": {"value": self.old, "reason": "simulated", "timestamp": self._stamp},
                "configuration": {
                    "metrics": [
                        {
                            "id": "m1",
                            "metricStat": {
                                "metric": {
                                    "namespace": self.alarm["Namespace"],
                                    "name": self.alarm["MetricName"],
                                    "dimensions": self._dimensions,
                                },
                                "period": self.alarm["Period"],
                                "stat": "Average",
                            },
                            "returnData": True,
                        }
                    ]
                },
            },
        }

    def sns_message(self) -> str:
        return json.dumps(
            {
                "AlarmName": self.name,
                "AlarmDescription": None,
                "AWSAccountId": ACCOUNT,
                "NewStateValue": self.new,
                "NewStateReason": self._reason,
                "StateChangeTime": self._stamp,
                "Region": "US East (N. Virginia)",
                "AlarmArn": self.alarm["AlarmArn"],
                "OldStateValue": self.old,
                "Trigger": {
                    "MetricName": self.alarm["MetricName"],
                    "Namespace": self.alarm["Namespace"],
                    "StatisticType": "Statistic",
                    "Statistic": "AVERAGE",
                    "Unit": None,
                    "Dimensions": [{"value": v, "name": k} for k, v in self._dimensions.items()],
                    "Period": self.alarm["Period"],
                    "EvaluationPeriods": self.alarm["EvaluationPeriods"],
                    "ComparisonOperator": self.alarm["ComparisonOperator"],
                    "Threshold": self.alarm["Threshold"],
                    "TreatMissingData": "missing",
                    "EvaluateLowSampleCountPercentile": "",
                },
            }
        )
