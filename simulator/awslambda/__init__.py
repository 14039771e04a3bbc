"""AWS Lambda: loading a handler the way the runtime does, and the context it passes."""
