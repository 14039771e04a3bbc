"""The output of `sam build` that the cold-import and memory figures measure."""

from __future__ import annotations

import filecmp
from dataclasses import dataclass
from pathlib import Path

from benchmarks.environment import LAYER_SOURCE, ROOT

FUNCTION_SOURCE = ROOT / "functions" / "drain"
DEFAULT_BUILD = ROOT / ".aws-sam" / "build"


@dataclass(frozen=True)
class SamBuild:
    """The output of `sam build`: the function's code and the layer Lambda mounts at /opt/python."""

    root: Path

    @property
    def function(self) -> Path:
        return self.root / "DrainFunction"

    @property
    def layer(self) -> Path:
        return self.root / "FleetOpsLayer" / "python"

    def missing_message(self) -> str | None:
        if (self.function / "app.py").exists() and (self.layer / "fleetops").is_dir():
            return None
        return f"no sam build in {self.root}: run `make build` (or `make benchmark`, which builds first)"

    def files_differing_from_sources(self) -> list[str]:
        """Source files the build does not have as they are now: its figures are for older code."""
        pairs = [(FUNCTION_SOURCE, self.function), (LAYER_SOURCE / "fleetops", self.layer / "fleetops")]
        differing: list[str] = []
        for source_root, built_root in pairs:
            for source in sorted(source_root.rglob("*.py")):
                built = built_root / source.relative_to(source_root)
                if not built.exists() or not filecmp.cmp(source, built, shallow=False):
                    differing.append(str(source.relative_to(ROOT)))
        return differing
