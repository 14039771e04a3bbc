"""One botocore loader per process, for every session the simulation makes.

botocore parses a service's JSON model once per *session* (EC2's is several megabytes), and lists its
data directories on disk each time; the simulated account makes hundreds of sessions (the account's,
each function's role at cold start, Powertools' persistence layer, each test's). Measured on the suite:
28 of 111 CPU seconds went to loading the same models again. The models are read-only, so sharing the
parsed copies changes nothing but the time. Installed by the tests (``conftest.py``) and the demo.
"""

from __future__ import annotations

import os

import boto3
import boto3.session
import botocore.loaders
import botocore.session

_LOADERS: dict[str | None, botocore.loaders.Loader] = {}
_ORIGINAL_CREATE_LOADER = botocore.session.create_loader
_BOTO3_DATA = os.path.join(os.path.dirname(boto3.__file__), "data")


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    if search_path_string not in _LOADERS:
        _LOADERS[search_path_string] = _ORIGINAL_CREATE_LOADER(search_path_string)
    return _LOADERS[search_path_string]


def _setup_loader(self: boto3.session.Session) -> None:
    """boto3 appends its resource models' directory to the loader at every Session(): once is enough for
    a shared loader (the list would otherwise grow with every session)."""
    self._loader = self._session.get_component("data_loader")
    if _BOTO3_DATA not in self._loader.search_paths:
        self._loader.search_paths.append(_BOTO3_DATA)


def share_service_models() -> None:
    """Install the shared loader (idempotent)."""
    botocore.session.create_loader = _shared_loader  # type: ignore[assignment]
    boto3.session.Session._setup_loader = _setup_loader  # type: ignore[method-assign]
