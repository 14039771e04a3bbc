"""Consolidation on a simulated account: one low-reservation alarm takes away several hosts at once, within
the rule's disruption budget, a host already leaving counted against it, and the drain moves every task."""

from __future__ import annotations

from simulator.worlds.scale import ScaleWorld

LOW = "ecs-scale-prod-reservation-low"


def test_one_low_alarm_removes_as_many_hosts_as_fit_and_the_budget_allows_and_no_task_is_lost(aws: None) -> None:
    world = ScaleWorld(hosts=5, rules=[{"alarm": LOW, "cluster": "prod", "step": "consolidate", "budget": 3, "min": 1}])
    try:
        world.services.add_service("web", cpu=1024, memory=2048)  # three per host
        hosts = world.cluster.instance_ids
        for instance_id in hosts:
            world.services.run_on(instance_id, "web", 1)
        world.cluster_reservation_alarm(LOW, comparison="LessThanThreshold", threshold=30, period=300)
        # An operator takes one host away first: it is leaving when the alarm comes, and counts against the
        # budget of 3 (its task needs a place too).
        world.session.client("autoscaling").terminate_instance_in_auto_scaling_group(
            InstanceId=hosts[0], ShouldDecrementDesiredCapacity=True
        )

        result = world.decide(world.fire(LOW, 17.0))

        assert result["outcome"] == "cluster-scaled-in"
        removed = result["hosts_to_terminate"]
        assert len(removed) == 2 and hosts[0] not in removed  # 3 at once, one of them already leaving
        assert result["group_capacity"] == [4, 2]
        group = world.group()
        assert group["desired"] == 2
        assert all(group["instances"][i] == "Terminating:Wait" for i in removed)
        [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
        assert "disruption budget 3 of 5 host(s): at most 3 leaving at once, 1 already leaving" in note["message"]
        rule = "Rule (declared in SCALING_RULES): cluster prod, step consolidate (budget 3), bounds 1 to"
        assert rule in note["message"]

        world.drain_terminations()

        assert sum(world.cluster.lost_tasks.values()) == 0
        web = world.services.tasks("web")
        assert len(web) == 5
        stayed = {world.cluster.container_instances[i] for i in hosts if i not in (*removed, hosts[0])}
        assert {task.container_instance_arn for task in web} <= stayed
        assert len(world.group()["instances"]) == 2
    finally:
        world.close()


def test_two_hosts_go_together_only_if_each_task_keeps_a_place_wherever_ecs_spreads_it(aws: None) -> None:
    # The review's story: C and D run four 512-CPU tasks each, A two of 800 (and a small edge task on host port
    # 80, so B's task, on the same port, never goes to A, whatever order ECS lists the hosts in), B one of 1,600;
    # budget 2, 10 % headroom. The plan alone would take B and A, but ECS spreads the tasks as each host drains:
    # the 800s one on C and one on D leave no host with room for the 1,600. So only B goes, and its task keeps a
    # place.
    world = ScaleWorld(hosts=4, rules=[{"alarm": LOW, "cluster": "prod", "step": "consolidate", "budget": 2, "min": 2}])
    try:
        c, d, a, b = world.cluster.instance_ids
        world.services.add_service("filler", cpu=512, memory=64)
        world.services.add_service("small", cpu=800, memory=64)
        world.services.add_service("big", cpu=1600, memory=64, host_port=80)
        world.services.add_service("edge", cpu=16, memory=16, host_port=80)
        world.services.run_on(c, "filler", 4)
        world.services.run_on(d, "filler", 4)
        world.services.run_on(a, "small", 2)
        world.services.run_on(a, "edge", 1)
        world.services.run_on(b, "big", 1)
        world.cluster_reservation_alarm(LOW, comparison="LessThanThreshold", threshold=60, period=300)

        result = world.decide(world.fire(LOW, 30.0))

        assert result["outcome"] == "cluster-scaled-in"
        assert result["hosts_to_terminate"] == [b]
        [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
        assert f"{a} stay: with {a} gone too, ECS placing the tasks smallest first, by spread" in note["message"]

        world.drain_terminations()

        assert sum(world.cluster.lost_tasks.values()) == 0
        assert world.account.function("drain").api_since_cold_start.calls.get("autoscaling:SetDesiredCapacity", 0) == 0
        assert [task.last_status for task in world.services.tasks("big")] == ["RUNNING"]
    finally:
        world.close()
