"""One way to build a world: the suite deployed from template.yaml into a simulated account
(``base.JobWorld``), with each job's helpers as an add-on (``drain``, ``scale``, ``verify``). The tests'
fixtures and the benchmarks build them the same way."""
