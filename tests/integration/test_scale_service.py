"""The scale job on a simulated account: a service's CPU alarms change its task count, capacity-aware."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.ecs.service_actions import placement_failure_event
from simulator.worlds.scale import ScaleWorld

WEB_RULES = [
    {"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+50%", "min": 2, "max": 12},
    {"alarm": "ecs-scale-web-cpu-low", "cluster": "prod", "service": "web", "step": -1, "min": 2, "max": 12},
]


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    world = ScaleWorld(hosts=2, rules=WEB_RULES)
    world.services.add_service("web", cpu=1024, memory=2048)  # three per host (7482 MiB each)
    world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
    world.service_cpu_alarm("ecs-scale-web-cpu-low", comparison="LessThanThreshold", threshold=20)
    yield world
    world.close()


def test_a_cpu_alarm_scales_the_service_out_when_its_tasks_fit(world: ScaleWorld) -> None:
    first, second = world.cluster.instance_ids
    world.services.run_on(first, "web", 2)
    world.services.run_on(second, "web", 2)

    result = world.decide(world.fire("ecs-scale-web-cpu-high", 83.0))
    emitted = world.function.last_output.metric_documents  # what the invocation wrote to its logs

    assert result["outcome"] == "service-scaled-out"
    assert result["service_count"] == [4, 6]
    assert world.desired_count("web") == 6
    assert world.group()["desired"] == 2  # the two new tasks fit: no host added
    assert world.services.settle("web") == 0
    [note] = [n for n in world.notifications() if "scale" in n["subject"]]
    assert note["message"].startswith("Scaled service web from 4 to 6: CPUUtilization 83% > 75% for 3 min")
    assert "cluster has room for 0 more task(s)" in note["message"]
    # One metric per decision, in the suite's namespace (CloudWatch embedded metric format).
    assert [m.get("ServiceScaledOut") for m in emitted] == [[1.0]]
    assert emitted[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "EcsFleetOps"
    # The dashboard's "hosts and tasks added and removed": two tasks, no host.
    assert world.function.last_output.values["TasksAdded"] == [2.0]
    assert "HostsAdded" not in world.function.last_output.values


def test_when_the_new_tasks_do_not_fit_the_cluster_grows_first_and_the_message_says_why(world: ScaleWorld) -> None:
    first, second = world.cluster.instance_ids
    world.services.run_on(first, "web", 3)
    world.services.run_on(second, "web", 3)  # both hosts full (three per host)

    result = world.decide(world.fire("ecs-scale-web-cpu-high", 91.0, via="sns"))

    assert result["outcome"] == "service-scaled-out"
    assert result["group_capacity"] == [2, 3]
    assert result["service_count"] == [6, 9]
    assert world.group()["desired"] == 3
    assert {k: v for k, v in world.function.last_output.values.items() if k in ("HostsAdded", "TasksAdded")} == {
        "HostsAdded": [1.0],
        "TasksAdded": [3.0],
    }
    # Once the new host registers, ECS places every new task: none is left unplaced.
    assert len(world.register_new_hosts()) == 1
    assert world.services.settle("web") == 0
    [note] = [n for n in world.notifications() if "scale" in n["subject"]]
    assert note["message"].startswith("Scaled group prod-hosts from 2 to 3 host(s) first, then service web from 6 to 9")
    assert "the cluster had room for 0 of 3 task(s)" in note["message"]


def test_a_service_on_a_static_host_port_gets_a_new_host_for_a_task_that_has_no_free_port(aws: None) -> None:
    world = ScaleWorld(hosts=2, rules=WEB_RULES)
    try:
        world.services.add_service("web", cpu=256, memory=512, host_port=80)  # small, but one per host
        world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
        for instance_id in world.cluster.instance_ids:
            world.services.run_on(instance_id, "web", 1)

        result = world.decide(world.fire("ecs-scale-web-cpu-high", 95.0))

        assert (result["service_count"], result["group_capacity"]) == ([2, 3], [2, 3])
        world.register_new_hosts()
        assert world.services.settle("web") == 0
    finally:
        world.close()


def test_the_hosts_needed_allow_for_the_daemon_task_every_new_host_runs(aws: None) -> None:
    rules = [
        {"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+6", "min": 1, "max": 20}
    ]
    world = ScaleWorld(hosts=2, rules=rules)
    try:
        world.services.add_service("log-agent", cpu=256, memory=1536, daemon=True)
        world.services.add_service("web", cpu=1024, memory=2048)
        world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
        for instance_id in world.cluster.instance_ids:
            world.services.run_on(instance_id, "web", 2)  # with the agent: 5632 of 7482 MiB, no room

        result = world.decide(world.fire("ecs-scale-web-cpu-high", 88.0))

        # Six new tasks: a bare host would take three, one running the agent takes two.
        assert result["group_capacity"] == [2, 5]
        world.register_new_hosts()
        for instance_id in world.cluster.instance_ids[2:]:
            world.services.run_on(instance_id, "log-agent", 1)
        assert world.services.settle("web") == 0
    finally:
        world.close()


def test_a_group_grown_for_a_service_is_not_shrunk_by_the_next_low_reservation_alarm(world: ScaleWorld) -> None:
    first, second = world.cluster.instance_ids
    world.services.run_on(first, "web", 3)
    world.services.run_on(second, "web", 3)
    world.cluster_reservation_alarm("ecs-scale-prod-reservation-low", comparison="LessThanThreshold", threshold=30)
    world.decide(world.fire("ecs-scale-web-cpu-high", 91.0))
    world.register_new_hosts()  # registered, still empty: the emptiest host of all

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 20.0))

    assert result["outcome"] == "cooldown"
    assert world.group()["desired"] == 3


def test_a_low_cpu_alarm_scales_the_service_in_but_never_below_its_minimum(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 3)

    first = world.decide(world.fire("ecs-scale-web-cpu-low", 8.0, via="sns"))
    world.clock.advance(301)
    world.fire("ecs-scale-web-cpu-low", 8.0, state="OK")
    second = world.decide(world.fire("ecs-scale-web-cpu-low", 7.0))

    assert (first["outcome"], first["service_count"]) == ("service-scaled-in", [3, 2])
    assert second["outcome"] == "at-bound"
    assert world.desired_count("web") == 2


def test_a_service_is_never_scaled_in_during_a_deployment(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 4)
    world.services.start_deployment("web")

    result = world.decide(world.fire("ecs-scale-web-cpu-low", 8.0))

    assert result["outcome"] == "deployment-in-progress"
    assert world.desired_count("web") == 4


def test_a_blue_green_deployment_shown_only_in_task_sets_also_holds_back_a_scale_in(world: ScaleWorld) -> None:
    # CodeDeploy or an external controller deploy through task sets; `deployments` stays empty.
    ecs = world.session.client("ecs")
    definition = world.services.task_definitions["web"]
    ecs.create_service(
        cluster="prod",
        serviceName="checkout",
        taskDefinition=definition,
        desiredCount=4,
        deploymentController={"type": "EXTERNAL"},
    )
    blue = ecs.create_task_set(cluster="prod", service="checkout", taskDefinition=definition)["taskSet"]
    ecs.update_service_primary_task_set(cluster="prod", service="checkout", primaryTaskSet=blue["taskSetArn"])
    green = ecs.create_task_set(cluster="prod", service="checkout", taskDefinition=definition)["taskSet"]
    world.service_cpu_alarm(
        "ecs-scale-checkout-cpu-low", comparison="LessThanThreshold", threshold=20, service="checkout"
    )

    during = world.decide(world.fire("ecs-scale-checkout-cpu-low", 8.0))
    # Traffic shifted: green becomes the only, PRIMARY task set and blue is gone.
    ecs.update_service_primary_task_set(cluster="prod", service="checkout", primaryTaskSet=green["taskSetArn"])
    ecs.delete_task_set(cluster="prod", service="checkout", taskSet=blue["taskSetArn"])
    world.clock.advance(60)
    world.fire("ecs-scale-checkout-cpu-low", 30.0, state="OK")
    after = world.decide(world.fire("ecs-scale-checkout-cpu-low", 7.0))

    assert during["outcome"] == "deployment-in-progress"
    assert (after["outcome"], after["service_count"]) == ("service-scaled-in", [4, 3])


def test_a_service_managed_by_application_auto_scaling_is_left_to_it_and_the_message_says_so(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    world.session.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/prod/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=10,
    )

    result = world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))

    assert result["outcome"] == "deferred"
    assert world.desired_count("web") == 2
    [note] = [n for n in world.notifications() if "scale" in n["subject"]]
    assert "Application Auto Scaling target service/prod/web" in note["message"]


def test_an_alarm_back_to_ok_when_checked_changes_nothing(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    event = world.fire("ecs-scale-web-cpu-high", 90.0)
    world.set_state("ecs-scale-web-cpu-high", "OK")  # recovered before the event was handled

    result = world.decide(event)

    assert result["outcome"] == "alarm-recovered"
    assert world.desired_count("web") == 2


def test_a_transition_out_of_alarm_is_ignored_without_a_single_aws_call(world: ScaleWorld) -> None:
    # EventBridge's rule lets only ALARM through; an alarm action on OK still notifies the scaling topic.
    event = world.fire("ecs-scale-web-cpu-high", 10.0, state="OK", via="sns")
    world.api.reset()

    result = world.decide(event)

    assert result["status"] == "ignored"
    assert world.api.total() == 0


def test_one_decision_per_alarm_transition_however_often_and_however_it_is_delivered(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    by_eventbridge = world.fire("ecs-scale-web-cpu-high", 90.0)
    by_sns = world.fire("ecs-scale-web-cpu-high", 90.0, via="sns")  # same state, same timestamp: the same transition

    results = [world.decide(by_eventbridge), world.decide(by_eventbridge), world.decide(by_sns)]

    assert [r["service_count"] for r in results] == [[2, 3], [2, 3], [2, 3]]
    assert world.desired_count("web") == 3  # changed once
    assert len([n for n in world.notifications() if "scale" in n["subject"]]) == 1


def test_the_cooldown_holds_back_the_next_transition_until_it_has_passed(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))

    world.clock.advance(30)
    world.fire("ecs-scale-web-cpu-high", 50.0, state="OK")
    held = world.decide(world.fire("ecs-scale-web-cpu-high", 95.0))
    world.clock.advance(31)
    world.fire("ecs-scale-web-cpu-high", 50.0, state="OK")
    after = world.decide(world.fire("ecs-scale-web-cpu-high", 95.0))

    assert held["outcome"] == "cooldown"
    assert after["service_count"] == [3, 4]


def test_dry_run_decides_and_reports_but_changes_nothing(aws: None) -> None:
    world = ScaleWorld(hosts=2, rules=WEB_RULES, parameters={"ScaleDryRun": "true"})
    try:
        world.services.add_service("web", cpu=1024, memory=2048)
        world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
        world.services.run_on(world.cluster.instance_ids[0], "web", 2)

        result = world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))

        assert (result["outcome"], result["acted"], result["dry_run"]) == ("service-scaled-out", False, True)
        assert world.desired_count("web") == 2
        [note] = [n for n in world.notifications() if "scale" in n["subject"]]
        assert note["subject"].startswith("[dry run]")
        assert note["message"].startswith("DRY RUN, nothing was changed. Would have scaled service web from 2 to 3")
    finally:
        world.close()


def test_an_alarm_still_in_alarm_after_the_cooldown_is_acted_on_again_without_a_new_transition(
    world: ScaleWorld,
) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)

    first = world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))
    [(due, _)] = world.pending_follow_ups()
    world.deliver_follow_up()  # CloudWatch says nothing more: the alarm simply stays in ALARM

    assert first["follow_up_in_seconds"] == 240  # cooldown 60 s, then the alarm's 3 periods of 60 s
    assert due == world.clock()
    assert world.desired_count("web") == 4  # 2 -> 3, then +50% of 3 -> 4
    assert len(world.pending_follow_ups()) == 1  # and it keeps looking while the alarm lasts


def test_follow_ups_stop_as_soon_as_the_alarm_has_recovered(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))
    world.set_state("ecs-scale-web-cpu-high", "OK")

    world.deliver_follow_up()

    assert world.desired_count("web") == 3
    assert world.pending_follow_ups() == []


def test_a_follow_up_delivered_twice_decides_once(world: ScaleWorld) -> None:
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))
    [(due, body)] = world.pending_follow_ups()
    world.drop_follow_ups()  # taken off the queue, delivered by hand below
    world.clock.advance(due - world.clock())

    world.invoke(world.follow_up_event(body))
    world.invoke(world.follow_up_event(body))

    assert world.desired_count("web") == 4
    assert len(world.pending_follow_ups()) == 1  # the duplicate returned the stored result and sent nothing


def test_ecs_placement_failure_raises_the_group_once_to_the_hosts_the_waiting_tasks_need(world: ScaleWorld) -> None:
    first, second = world.cluster.instance_ids
    world.services.run_on(first, "web", 3)
    world.services.run_on(second, "web", 3)  # both hosts full (three per host)
    world.services.set_desired_count("web", 10)  # someone asked for four more: ECS cannot place them
    service_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/web"
    cluster_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"

    # What ECS sends on EventBridge; the scale function's PlacementFailure rule delivers it.
    raised = world.decide(placement_failure_event(service_arn, cluster_arn, "RESOURCE:CPU", at=world.clock()))
    # The same tasks still wait (say ECS tells again before the hosts register): the hosts are launching.
    repeated = world.decide(placement_failure_event(service_arn, cluster_arn, "RESOURCE:CPU", at=world.clock()))

    assert raised["outcome"] == "cluster-scaled-out"
    assert raised["group_capacity"] == [2, 4]  # 4 tasks, 3 per host: two hosts, in one call
    assert repeated["outcome"] == "nothing-waiting" and world.group()["desired"] == 4
    assert world.desired_count("web") == 10  # the service's count is its own
    assert len(world.register_new_hosts()) == 2
    assert world.services.settle("web") == 0
