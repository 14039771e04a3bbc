#!/usr/bin/env python3
"""Verify an ECS deployment from a CI job (Jenkins, GitHub Actions, after ``sam deploy``).

    python scripts/verify_deployment.py --cluster prod --service web \
        --expected-image 123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:... \
        --checks-file deploy/verify-web.json

``--expected-image`` takes a tag (``…/web:2``, which matches the ``…/web:2@sha256:…`` ECS reports once
it resolved the tag) or a digest (for a multi-arch image, the image index digest).

Exits 0 when the release passed, 1 when it failed, 2 on a usage or configuration error. Uses the
job's own AWS credentials (the default boto3 chain). Same as ``python -m fleetops.verify.cli``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "fleetops"))

from fleetops.verify.cli import main

if __name__ == "__main__":
    sys.exit(main())
