"""Turn every trigger shape of the drain job into one typed command.

Shapes (all untrusted; anything unexpected raises BadInputError with a reason a human can act on):
- EventBridge ``EC2 Instance-terminate Lifecycle Action`` (source ``aws.autoscaling``);
- the classic lifecycle hook notification through SNS (JSON in ``Records[].Sns.Message``);
- EventBridge ``EC2 Spot Instance Interruption Warning`` (source ``aws.ec2``);
- EventBridge ``ECS Container Instance State Change`` (source ``aws.ecs``) of a DRAINING host with no task
  left running or pending: the drain of its instance may complete now.
SQS re-check records carry a DrainState and are parsed by ``DrainState.from_json``.

Only the suite's own hooks are drained: a lifecycle action of a hook whose name does not start with
the configured prefix belongs to another handler, and is ignored (the template's rule and subscription
filter them out already; this is the last line, for a rule or filter someone widened). So is a lifecycle
action of a group outside AUTO_SCALING_GROUP_NAMES: the stack was not given that group to touch.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

from fleetops.errors import BadInputError
from fleetops.intake import parse_envelope
from fleetops.models.drain import ContainerInstanceEmptied, DrainRequest, IgnoredEvent, TriggerSource
from fleetops.models.ecs import cluster_name
from fleetops.models.lifecycle import TERMINATING_TRANSITION, Destination, LifecycleAction
from fleetops.settings import NOTHING_NAMED, Scope

DrainTrigger = DrainRequest | ContainerInstanceEmptied | IgnoredEvent

TEST_NOTIFICATION = "autoscaling:TEST_NOTIFICATION"
LIFECYCLE_TERMINATE = "EC2 Instance-terminate Lifecycle Action"
LIFECYCLE_LAUNCH = "EC2 Instance-launch Lifecycle Action"
SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning"
CONTAINER_INSTANCE_CHANGE = "ECS Container Instance State Change"

_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
FOREIGN_HOOK_METRIC = "ForeignHookEventsIgnored"
OUT_OF_SCOPE_GROUP_METRIC = "OutOfScopeGroupEventsIgnored"


@dataclass(frozen=True, slots=True)
class _Ours:
    """Which lifecycle actions are the suite's: its hooks' (by name prefix), in the groups it was given."""

    hook_name_prefix: str
    auto_scaling_groups: Scope
    clusters: Scope


def parse_trigger(
    event: Any, *, hook_name_prefix: str, auto_scaling_groups: Scope, clusters: Scope = NOTHING_NAMED
) -> list[DrainTrigger]:
    """Parse an EventBridge event or an SNS delivery into commands (one per SNS record). Lifecycle
    actions of hooks whose name does not start with ``hook_name_prefix``, or of groups outside
    ``auto_scaling_groups``, are not the suite's; nor are ECS's events of clusters outside ``clusters``."""
    ours = _Ours(hook_name_prefix, auto_scaling_groups, clusters)
    return parse_envelope(
        event,
        eventbridge=lambda raw: _from_eventbridge(raw, ours),
        sns_message=lambda message: _from_sns_message(message, ours),
    )


def _from_eventbridge(raw: Mapping[str, Any], ours: _Ours) -> DrainTrigger:
    event = EventBridgeEvent(dict(raw))
    detail = event.detail
    if not isinstance(detail, Mapping):
        raise BadInputError(f"the EventBridge event's detail is not an object: {detail!r}")
    match (event.source, event.detail_type):
        case ("aws.autoscaling", detail_type) if detail_type == LIFECYCLE_TERMINATE:
            return _lifecycle(detail, TriggerSource.EVENTBRIDGE, ours, announced_at=_moment(raw.get("time")))
        case ("aws.autoscaling", detail_type) if detail_type == LIFECYCLE_LAUNCH:
            return IgnoredEvent("a launch lifecycle action is not a termination", _optional_id(detail))
        case ("aws.ecs", detail_type) if detail_type == CONTAINER_INSTANCE_CHANGE:
            return _container_instance(detail, ours, str(raw.get("id") or ""))
        case ("aws.ec2", detail_type) if detail_type == SPOT_INTERRUPTION:
            instance_id = _instance_id(detail, "instance-id")
            return DrainRequest(instance_id, TriggerSource.SPOT_INTERRUPTION, lifecycle_action=None)
        case (source, detail_type):
            raise BadInputError(f"unknown EventBridge event: source {source!r}, detail-type {detail_type!r}")


def _from_sns_message(message: str, ours: _Ours) -> DrainTrigger:
    try:
        body = json.loads(message)
    except (TypeError, ValueError) as error:
        raise BadInputError(f"the SNS message is not JSON: {error}") from error
    if not isinstance(body, Mapping):
        raise BadInputError("the SNS message is not a JSON object")
    if body.get("Event") == TEST_NOTIFICATION:
        return IgnoredEvent("Auto Scaling test notification")
    return _lifecycle(body, TriggerSource.SNS, ours, announced_at=_moment(body.get("Time")))


def _lifecycle(
    fields: Mapping[str, Any], source: TriggerSource, ours: _Ours, *, announced_at: float | None
) -> DrainTrigger:
    transition = _required_text(fields, "LifecycleTransition")
    instance_id = _optional_id(fields)
    if transition != TERMINATING_TRANSITION:
        return IgnoredEvent(f"lifecycle transition {transition!r} is not a termination", instance_id)
    hook_name = _required_text(fields, "LifecycleHookName")
    prefix = ours.hook_name_prefix
    if not hook_name.startswith(prefix):
        return IgnoredEvent(
            f"lifecycle hook {hook_name!r} is not the suite's (its name does not start with {prefix!r}, "
            "DrainHookNamePrefix): its own handler completes it",
            instance_id,
            metric=FOREIGN_HOOK_METRIC,
        )
    group = _required_text(fields, "AutoScalingGroupName")
    if not ours.auto_scaling_groups.includes(group):
        # Neither drained nor completed: the action ends with its hook's default result at the hook's
        # timeout, as if the suite were not deployed, which is what the stack's scope says.
        return IgnoredEvent(
            f"Auto Scaling group {group!r} is not in AutoScalingGroupNames ({ours.auto_scaling_groups}): the suite "
            f"may not drain its hosts nor complete its lifecycle action {hook_name!r}",
            instance_id,
            metric=OUT_OF_SCOPE_GROUP_METRIC,
        )
    action = LifecycleAction(
        auto_scaling_group=group,
        hook_name=hook_name,
        token=_required_text(fields, "LifecycleActionToken"),
        ec2_instance_id=_instance_id(fields, "EC2InstanceId"),
        # A return to the warm pool stops the host with its tasks on it: it is drained like a termination.
        destination=Destination.WARM_POOL if fields.get("Destination") == "WarmPool" else Destination.EC2,
    )
    return DrainRequest(
        ec2_instance_id=action.ec2_instance_id,
        source=source,
        lifecycle_action=action,
        cluster_hint=cluster_from_metadata(fields.get("NotificationMetadata")),
        announced_at=announced_at,
    )


def _container_instance(detail: Mapping[str, Any], ours: _Ours, event_id: str) -> DrainTrigger:
    """ECS's event names the host by its EC2 instance and container instance, and says its status and task
    counts ("Amazon ECS container instance state change events", ECS Developer Guide: the detail resembles
    DescribeContainerInstances' ContainerInstance). The rule lets through only a DRAINING host with none
    running or pending; this is the last line, for a rule someone widened."""
    instance_id = _instance_id(detail, "ec2InstanceId")
    cluster = _required_text(detail, "clusterArn")
    if not ours.clusters.includes(cluster_name(cluster)):
        return IgnoredEvent(f"cluster {cluster_name(cluster)!r} is not in ClusterNames ({ours.clusters})", instance_id)
    status = detail.get("status")
    counts = (detail.get("runningTasksCount"), detail.get("pendingTasksCount"))
    if status != "DRAINING" or counts != (0, 0):
        return IgnoredEvent(
            f"the container instance is {status} with {counts[0]} running and {counts[1]} pending task(s): "
            "only a DRAINING host with none left may end its drain",
            instance_id,
        )
    return ContainerInstanceEmptied(instance_id, cluster, _required_text(detail, "containerInstanceArn"), event_id)


def _moment(value: Any) -> float | None:
    """An ISO 8601 time (EventBridge ``time``, the SNS message's ``Time``) in epoch seconds. A missing or
    unreadable one is not a reason to refuse a drain: the drain then counts from its own start."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)).timestamp()


def cluster_from_metadata(metadata: Any) -> str | None:
    """The hook's NotificationMetadata may name the cluster: ``{"cluster": "prod"}``.

    Anything else (absent, free text, another JSON shape) names no cluster; the configured clusters
    and then a search of all clusters take over, so a hook someone else wrote still drains.
    """
    if not isinstance(metadata, str) or not metadata.strip():
        return None
    try:
        parsed = json.loads(metadata)
    except ValueError:
        return None
    cluster = parsed.get("cluster") if isinstance(parsed, Mapping) else None
    return cluster if isinstance(cluster, str) and cluster else None


def _required_text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadInputError(f"required field {key!r} is missing or empty")
    return value


def _instance_id(fields: Mapping[str, Any], key: str) -> str:
    value = _required_text(fields, key)
    if not _INSTANCE_ID.match(value):
        raise BadInputError(f"field {key!r} is not an EC2 instance id: {value!r}")
    return value


def _optional_id(fields: Mapping[str, Any], key: str = "EC2InstanceId") -> str | None:
    value = fields.get(key)
    return value if isinstance(value, str) else None
