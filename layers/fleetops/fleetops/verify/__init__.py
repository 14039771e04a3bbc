"""The verify job: parse deployment events, check the release (pure checks over observed data), roll
back a bad one, and report."""
