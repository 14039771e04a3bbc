"""Console commands that run the suite's jobs from outside Lambda (a CI job, a laptop), or look at what
they are doing (``status``, read-only), with the caller's own AWS credentials. They import the layer's
``fleetops`` package; the layer never imports them, so the Lambda functions ship none of this
(``layers/fleetops/Makefile`` copies ``fleetops`` alone)."""
