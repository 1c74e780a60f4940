"""What a policy run found: its violations and remediations, per resource, and the pack's verdict.

Kept apart from the gate (offline/policy/gate.py) so that the report can name them without loading
what the gate runs on (gRPC, jsonschema): the gate runs in the preview's worker (offline/worker.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    """advisory, mandatory (remediate is reported as mandatory, as the engine does)."""
    description: str
    message: str
    urn: str
    resource_type: str = ""
    resource_name: str = ""


@dataclass(frozen=True)
class Remediation:
    """A remediate-level policy rewrote a resource's inputs before analysis."""

    policy: str
    urn: str
    resource_type: str
    resource_name: str


@dataclass(frozen=True)
class PolicyReport:
    pack: str
    version: str
    directory: Path
    policies: tuple[str, ...]
    violations: tuple[Violation, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    resources_analyzed: int = 0

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.level == "mandatory")

    @property
    def passed(self) -> bool:
        return not self.mandatory
