"""Loads a function's handler module (``functions/<job>/app.py``) the way Lambda does: by file, with the
environment the template gives it. The shared layer's package (``fleetops``) is installed into the
virtualenv (editable, ``make install``), as Lambda puts the layer on the function's path."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator, Mapping
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


@contextlib.contextmanager
def powertools_identity(environment: Mapping[str, str]) -> Iterator[None]:
    """The shared Powertools Metrics, for one invocation, with the function's own service and namespace.

    In Lambda each function imports the layer in its own execution environment, so ``fleetops.observability``
    creates its Metrics under that function's ``POWERTOOLS_SERVICE_NAME`` and Powertools adds it to every
    metric as the dimension ``service`` ("Metrics", Powertools for AWS Lambda (Python)). Here one process
    imports the layer once for every function: without this, the embedded-metric documents would carry no
    ``service`` dimension, and the metrics the alarms and the dashboard name would exist only in AWS."""
    from fleetops.observability import NAMESPACE, metrics

    before = (metrics.service, metrics.namespace)
    metrics.service = environment.get("POWERTOOLS_SERVICE_NAME")
    metrics.namespace = environment.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    try:
        yield
    finally:
        metrics.service, metrics.namespace = before
