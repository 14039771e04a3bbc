"""ecs-fleet-ops: the shared package behind the drain, scale and verify functions.

Layout: ``models`` (typed events, commands and decisions), one folder per job with a pure
``decide`` module and an orchestrating ``runner``, ``aws/`` (one adapter per AWS service) and
``settings`` (configuration read once from the environment).
"""
