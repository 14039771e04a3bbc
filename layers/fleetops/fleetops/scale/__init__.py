"""The scale job: parse alarm transitions, resolve the rule, decide (pure), act, and report.

The public surface is ``__all__``: what the Lambda function (``functions/scale/app.py``), the
configuration check (``scripts/check_config.py``), the benchmarks and the drain (the placement
primitives) use. Everything else is the job's
own and may change.
"""

from fleetops.scale.decide import decide_cluster_in, decide_cluster_out, decide_service
from fleetops.scale.packing import first_fit_decreasing, hosts_needed_for, new_host_shape
from fleetops.scale.service import ScaleService
from fleetops.scale.settings import ScaleSettings, parse_rules

# The placement primitives are shared with the drain, which grows the group for tasks that have nowhere to go.
__all__ = [
    "ScaleService",
    "ScaleSettings",
    "decide_cluster_in",
    "decide_cluster_out",
    "decide_service",
    "first_fit_decreasing",
    "hosts_needed_for",
    "new_host_shape",
    "parse_rules",
]
