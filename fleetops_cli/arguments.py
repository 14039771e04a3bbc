"""What the console commands share about their arguments."""

from __future__ import annotations

import argparse
from typing import NoReturn

from fleetops.errors import BadInputError


class ArgumentParser(argparse.ArgumentParser):
    """argparse's own errors print the usage and exit 2 with nothing on stdout; here they are bad input like
    any other: one line on stderr, exit 2, and with ``--json`` still the command's JSON document."""

    def error(self, message: str) -> NoReturn:
        raise BadInputError(f"{message} (see --help)")
