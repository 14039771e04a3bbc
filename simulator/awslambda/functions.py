"""Loads a function's handler module (``functions/<job>/app.py``) the way Lambda does: by file, with the
environment the template gives it. The shared layer's package (``fleetops``) is installed into the
virtualenv (editable, ``make install``), as Lambda puts the layer on the function's path."""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType
from unittest import mock

from simulator.paths import FUNCTIONS


def load_handler(job: str, environment: dict[str, str]) -> ModuleType:
    """A fresh import of ``functions/<job>/app.py`` (a new cold start) under ``environment``."""
    path = FUNCTIONS / job / "app.py"
    spec = importlib.util.spec_from_file_location(f"fleetops_function_{job}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, environment):
        spec.loader.exec_module(module)
    return module
