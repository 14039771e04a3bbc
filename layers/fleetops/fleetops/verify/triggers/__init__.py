"""The verify job's triggers, one module each: what each does with its event once ``VerifyService`` has
taken it in (told its shape apart with ``trigger_shape.py``, dead-lettered bad input, deduplicated it).

- ``ecs_event``: EventBridge ``ECS Deployment State Change``: verified once, rolled back when bad;
- ``codedeploy_hook``: a CodeDeploy ECS lifecycle hook: always answered;
- ``ecs_hook``: an ECS native deployment lifecycle hook: always given a ``hookStatus``;
- ``direct``: a direct invocation (the CI job): always answered with a report;
- ``recheck``: the bake's and the settling's durable wait, through delayed SQS messages.
"""
