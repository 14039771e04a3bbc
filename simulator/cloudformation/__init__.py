"""CloudFormation and SAM: the transform, the template's rules and parameters, and the deploy into moto."""
