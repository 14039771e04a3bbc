"""Where the simulator finds what it deploys: the repository's own template.yaml, functions/ and the
example cluster's stack. The package is installed editable (``make install``) for this reason: a copy in
site-packages would have no repository around it."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = PROJECT_ROOT / "template.yaml"
FUNCTIONS = PROJECT_ROOT / "functions"
EXAMPLE_CLUSTER_TEMPLATE = PROJECT_ROOT / "examples" / "ecs-on-ec2" / "template.yaml"
