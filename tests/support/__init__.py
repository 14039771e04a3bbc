"""What only the tests use on top of the simulated AWS (``simulator``): the per-job worlds."""
