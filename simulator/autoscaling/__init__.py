"""Amazon EC2 Auto Scaling as the suite meets it: lifecycle hooks, capacity, standby, weights, rebalancing."""
