"""Typed events, commands, observations and decisions shared by the jobs."""
