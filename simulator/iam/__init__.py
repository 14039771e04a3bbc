"""IAM: enforcement of the stack's own policies, the Service Authorization Reference, resource policies."""
