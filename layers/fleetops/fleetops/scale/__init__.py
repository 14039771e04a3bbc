"""The scale job: parse alarm transitions, resolve the rule, decide (pure), act, and report."""
