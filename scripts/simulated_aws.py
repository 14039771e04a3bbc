"""What each benchmark script does before it imports the suite: the repository and the shared layer on
``sys.path``, and an environment in which nothing can reach AWS (fake credentials that moto accepts
and a real endpoint would refuse; no profile)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def use_simulated_aws(**settings: str) -> Path:
    """Prepare this process (``settings``: more environment, kept if already set); returns the root."""
    for path in (str(ROOT), str(ROOT / "layers" / "fleetops")):
        if path not in sys.path:
            sys.path.insert(0, path)
    for name, value in {**FAKE_CREDENTIALS, **settings}.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_PROFILE", None)
    return ROOT
