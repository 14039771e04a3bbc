"""The figures `make benchmark` prints (the README's Benchmark section): one module per figure, the list
of them in ``benchmarks.suite``, the shared runner in ``benchmarks.runner``.

Everything runs on moto with fake credentials; nothing reaches AWS. Usage, from the repository root
(after `make build`, which `make benchmark` runs first):

    .venv/bin/python -m benchmarks [--json] [--runs N] [--build-dir .aws-sam/build]

One job's figures alone: ``python -m benchmarks.scale_decision`` (or ``scale_calls``, ``verify_calls``,
``day``), each with ``--json``.
"""
