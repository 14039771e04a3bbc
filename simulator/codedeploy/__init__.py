"""AWS CodeDeploy as the verify job meets it: the answers to an ECS blue/green deployment's lifecycle hooks."""
