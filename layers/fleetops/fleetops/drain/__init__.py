"""The drain job: parse lifecycle events, decide each step (pure), and run the steps."""
