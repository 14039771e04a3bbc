"""CloudWatch Logs in the simulated account: the log groups the stack declares."""
