"""Amazon ECS as the suite meets it: services, deployments, task sets, tasks and what moto lacks of them."""
