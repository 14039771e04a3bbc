"""The fleet: hosts, ECS's scheduler and Auto Scaling played together on the simulated clock."""
