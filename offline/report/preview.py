"""The result of one offline preview, and the views on it every renderer shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cost.estimate import CostEstimate
from ..policy.verdict import PolicyReport
from ..program import ProgramRun, Registration
from ..wire import UNKNOWN, mask

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Artifact:
    path: Path
    what: str
    """This file's content, e.g. `Deployment web`."""
    kind: str = ""
    """What the files of its folder are, e.g. `Kubernetes objects in dependency order`."""
    secret: bool = False


@dataclass(frozen=True)
class ComponentGroup:
    """A component (or the stack itself) and how many resources of each type it owns."""

    type: str
    name: str
    counts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)


@dataclass
class Preview:
    stack: str
    run: ProgramRun
    cost: CostEstimate
    policy: PolicyReport | None = None
    policy_skipped: str = ""
    artifacts: list[Artifact] = field(default_factory=list)
    seconds: float = 0.0
    change: str = ""
    """How resources and cost changed against `--compare` totals, when given."""
    fresh: bool = False
    """Previewed as a stack that does not exist yet (`--fresh`)."""

    @property
    def project(self) -> str:
        return self.run.settings.project

    @property
    def resources(self) -> list[Registration]:
        return self.run.resources

    @property
    def failed(self) -> bool:
        return self.policy is not None and not self.policy.passed

    def groups(self) -> list[ComponentGroup]:
        return group_by_component(self.resources)

    def masked_outputs(self) -> dict[str, Any]:
        return {key: _known_after_up(mask(self.run.outputs[key])) for key in sorted(self.run.outputs)}

    @property
    def unseen(self) -> int:
        """Kubernetes resources the pack gets with no properties (fresh mode)."""
        return sum(1 for r in self.resources if r.unseen)

    def only_during_up(self) -> list[tuple[str, str]]:
        """(policy, why) for every policy the preview could not run: it runs during `pulumi up`."""
        if self.policy is None:
            return []
        found = {
            (v.policy, v.message.split(" during preview: ", 1)[-1])
            for v in self.policy.violations
            if v.level == "advisory"
            and v.message.startswith("can't run ")
            and " during preview: " in v.message
        }
        return sorted(found)


def _known_after_up(value: Any) -> Any:
    if value == UNKNOWN:
        return "(known after up)"
    if isinstance(value, dict):
        return {k: _known_after_up(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known_after_up(v) for v in value]
    return value


def owning_component(resource: Registration, by_urn: dict[str, Registration]) -> Registration | None:
    """The nearest ancestor that is a component (not the stack), or None for top-level resources."""
    parent = by_urn.get(resource.parent)
    while parent is not None and parent.type != STACK_TYPE:
        if not parent.custom:
            return parent
        parent = by_urn.get(parent.parent)
    return None


def group_by_component(resources: Sequence[Registration]) -> list[ComponentGroup]:
    by_urn = {r.urn: r for r in resources}
    counts: dict[str, Counter[str]] = {}
    for resource in resources:
        if resource.type == STACK_TYPE:
            continue
        owner = owning_component(resource, by_urn)
        counts.setdefault(owner.urn if owner else "", Counter())[resource.type] += 1
    groups = []
    for urn, counter in counts.items():
        owner = by_urn.get(urn)
        groups.append(
            ComponentGroup(
                owner.type if owner else STACK_TYPE,
                owner.name if owner else "",
                tuple(sorted(counter.items())),
            )
        )
    return sorted(groups, key=lambda g: (g.type == STACK_TYPE, g.type, g.name))
