"""Amazon SNS: the Publish API's limits."""
