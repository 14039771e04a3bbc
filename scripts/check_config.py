#!/usr/bin/env python3
"""Check configuration files before they are deployed, with the functions' own parse code.

    python3.13 scripts/check_config.py config/scaling-rules.json config/verify-services.json
    python3.13 scripts/check_config.py --kind verify-services --smoke-allowed-hosts web.example.com prod.json

The kind of each file comes from its name (``...scaling-rules...`` or ``...verify-services...``) unless
``--kind`` says it. Every error of every file is printed, each naming its file; exit 0 when every file is
valid, 1 otherwise (2 for a wrong command line). The same text, written to the SSM parameter
``<ConfigParameterPrefix>/<kind>``, is what the function reads at cold start:

    aws ssm put-parameter --name /ecs-fleet-ops/sandbox/verify-services --type String \\
        --value file://config/verify-services.json --overwrite

Scale rules are checked with the default cooldowns (ScaleOutCooldownSeconds 60, ScaleInCooldownSeconds
300) unless given; smoke hosts against ``--smoke-allowed-hosts`` when given (the stack's
SmokeAllowedHosts), otherwise not (the function checks them against its own list at cold start).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from fleetops.scale import ScaleSettings, parse_rules
from fleetops.stored_configuration import SCALING_RULES_PARAMETER, VERIFY_SERVICES_PARAMETER
from fleetops.verify import parse_services_text

KINDS = (SCALING_RULES_PARAMETER, VERIFY_SERVICES_PARAMETER)
# SSM Parameter Store: a Standard parameter's value holds at most 4,096 characters, an Advanced one's
# 8,192 ("Managing parameter tiers", AWS Systems Manager User Guide; PutParameter, "Value").
STANDARD_VALUE_LIMIT = 4_096
ADVANCED_VALUE_LIMIT = 8_192


def _default(field: str) -> int:
    """The function's own default (ScaleSettings), not a second copy of it."""
    default = ScaleSettings.__dataclass_fields__[field].default
    assert isinstance(default, int)
    return default


def kind_of(path: Path, given: str | None) -> str | None:
    if given:
        return given
    found = [kind for kind in KINDS if kind in path.name]
    return found[0] if len(found) == 1 else None


def check_file(
    path: Path,
    kind: str | None,
    *,
    out_cooldown: int,
    in_cooldown: int,
    allowed_hosts: frozenset[str] | None,
) -> tuple[list[str], str]:
    """Every error found in one file (each naming the file), and a one-line summary when there is none."""
    source = str(path)
    if kind is None:
        return [f"{source}: cannot tell its kind from its name: name it *{'* or *'.join(KINDS)}* or pass --kind"], ""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [f"{source}: cannot be read: {error}"], ""
    errors: list[str] = []
    if not text.strip():
        errors.append(f"{source} is empty (SSM refuses an empty value; delete the parameter for none)")
    elif len(text) > ADVANCED_VALUE_LIMIT:
        errors.append(
            f"{source} has {len(text):,} characters: an SSM parameter holds at most {ADVANCED_VALUE_LIMIT:,} "
            "(Advanced tier); split the configuration or trim it"
        )
    if kind == SCALING_RULES_PARAMETER:
        rules = parse_rules(text, errors, out_cooldown=out_cooldown, in_cooldown=in_cooldown, source=source)
        summary = f"{len(rules)} scaling rule(s)"
    else:
        services = parse_services_text(text, allowed_hosts, errors, source=source)
        summary = f"{len(services)} service configuration(s)"
    if len(text) > STANDARD_VALUE_LIMIT:
        summary += f"; {len(text):,} characters: put it with --tier Advanced (Standard holds {STANDARD_VALUE_LIMIT:,})"
    return errors, summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check scaling-rules and verify-services files.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--kind", choices=KINDS, help="the kind of every file (default: from each file's name)")
    parser.add_argument("--smoke-allowed-hosts", help="comma-separated: the stack's SmokeAllowedHosts")
    parser.add_argument("--scale-out-cooldown", type=int, default=_default("scale_out_cooldown_seconds"))
    parser.add_argument("--scale-in-cooldown", type=int, default=_default("scale_in_cooldown_seconds"))
    arguments = parser.parse_args(argv)
    allowed = (
        None
        if arguments.smoke_allowed_hosts is None
        else frozenset(h.strip().lower() for h in arguments.smoke_allowed_hosts.split(",") if h.strip())
    )
    failed = False
    for path in arguments.files:
        errors, summary = check_file(
            path,
            kind_of(path, arguments.kind),
            out_cooldown=arguments.scale_out_cooldown,
            in_cooldown=arguments.scale_in_cooldown,
            allowed_hosts=allowed,
        )
        for error in errors:
            # Most errors start with the file's name (their source); the few about several rules do not.
            print(error if error.startswith(str(path)) else f"{path}: {error}")
        if errors:
            failed = True
        else:
            print(f"{path}: ok ({summary})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
