#!/usr/bin/env python3
"""Verify an ECS deployment from a CI job (Jenkins, GitHub Actions, after ``sam deploy``).

    python3.13 scripts/verify_deployment.py --cluster prod --service web --region us-east-1 \
        --expected-image 123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:... \
        --checks-file deploy/verify-web.json

``--expected-image`` takes a tag (``…/web:2``, which matches the ``…/web:2@sha256:…`` ECS reports once
it resolved the tag) or a digest (for a multi-arch image, the image index digest).

Exits 0 when the release passed, 1 when it failed, 2 when it could not be verified (bad input, no
region or credentials, AWS refused a call: one line on stderr says which). Uses the job's own AWS
credentials (boto3's default chain). Same as ``python -m fleetops_cli.verify``.

Needs Python 3.12 or later (the layer targets 3.13) and boto3 with layers/fleetops/requirements.txt.
This file alone is kept to Python 3.0 syntax, so that an older ``python3`` on a CI runner says which
Python it needs instead of a SyntaxError from the layer.
"""

import os
import sys

NEEDED = (3, 12)  # the layer uses PEP 695 generics (``def f[T](...)``): a SyntaxError before 3.12
EXIT_NOT_VERIFIED = 2

if sys.version_info < NEEDED:
    # String concatenation, not f-strings or format: this part must parse on any Python 3.
    found = ".".join(str(part) for part in sys.version_info[:3])
    needed = ".".join(str(part) for part in NEEDED)
    sys.stderr.write("verify_deployment: needs Python >= " + needed + " (found " + found + "): use python3.13\n")
    sys.exit(EXIT_NOT_VERIFIED)

# The command (fleetops_cli, at the repository's root) and the layer it runs (layers/fleetops): the
# command stays out of the layer, so the Lambda functions do not ship it.
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
sys.path[0:0] = [os.path.join(ROOT, "layers", "fleetops"), ROOT]

try:
    from fleetops_cli.verify import main
except ImportError as error:  # boto3 or the layer's requirements not installed
    sys.stderr.write("verify_deployment: " + str(error) + ": pip install boto3 -r layers/fleetops/requirements.txt\n")
    sys.exit(EXIT_NOT_VERIFIED)

if __name__ == "__main__":
    sys.exit(main())
