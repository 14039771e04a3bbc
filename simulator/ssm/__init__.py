"""AWS Systems Manager Parameter Store: its limits."""
