"""Loads a function's handler module (``functions/<job>/app.py``) the way Lambda does: by file,
with the shared layer on ``sys.path`` and the environment the template gives it."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "fleetops"


def load_handler(job: str, environment: dict[str, str]) -> ModuleType:
    """A fresh import of ``functions/<job>/app.py`` (a new cold start) under ``environment``."""
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))
    path = ROOT / "functions" / job / "app.py"
    spec = importlib.util.spec_from_file_location(f"fleetops_function_{job}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, environment):
        spec.loader.exec_module(module)
    return module
