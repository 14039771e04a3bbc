"""AWS KMS in the simulated account: customer managed keys as CloudFormation creates them, and their key policies."""
