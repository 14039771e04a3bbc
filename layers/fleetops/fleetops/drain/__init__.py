"""The drain job: parse lifecycle events, decide each step (pure), and run the steps.

The public surface is ``__all__``: what the Lambda function (``functions/drain/app.py``) and the scripts
use. Everything else is the job's own and may change.
"""

from fleetops.drain.runner import DrainRunner
from fleetops.drain.service import DrainService
from fleetops.drain.settings import DrainSettings

__all__ = ["DrainRunner", "DrainService", "DrainSettings"]
