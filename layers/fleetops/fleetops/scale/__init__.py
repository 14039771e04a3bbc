"""The scale job: parse alarm transitions, resolve the rule, decide (pure), act, and report.

The public surface is ``__all__``: what the Lambda function (``functions/scale/app.py``), the
configuration check (``scripts/check_config.py``) and the benchmarks use. Everything else is the job's
own and may change. The placement primitives it shares with the drain are ``fleetops.packing``, outside
the job: importing anything under ``fleetops.scale`` runs this module, and the drain's cold start would
import the whole scale job.
"""

from fleetops.scale.decide import decide_cluster_in, decide_cluster_out, decide_service
from fleetops.scale.service import ScaleService
from fleetops.scale.settings import ScaleSettings, parse_rules

__all__ = [
    "ScaleService",
    "ScaleSettings",
    "decide_cluster_in",
    "decide_cluster_out",
    "decide_service",
    "parse_rules",
]
