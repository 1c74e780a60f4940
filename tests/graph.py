"""Helpers to compare two runs of the program and to reason about the destroy order of a graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from offline.program import PROJECT_DIR, ProgramRun, Registration

from .refactor.fingerprint import comparable


def stack_config(stack: str, key: str) -> Any:
    """A stack-file value (without the project prefix), to change one part of it in an override."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return document["config"][f"platform:{key}"]


def effective_inputs(resource: Registration) -> dict[str, Any]:
    """The inputs `pulumi up` would diff: secrets as digests, without ignore_changes properties."""
    inputs = comparable(resource.inputs)
    return {k: v for k, v in inputs.items() if k not in set(resource.ignore_changes)}


def ignored_inputs(resource: Registration) -> dict[str, Any]:
    """The ignore_changes properties (a server's user-data): `pulumi up` leaves the server alone, but a
    rebuilt server gets the new value."""
    inputs = comparable(resource.inputs)
    return {k: v for k, v in inputs.items() if k in set(resource.ignore_changes)}


@dataclass
class GraphDiff:
    added: set[str]
    removed: set[str]
    changed: set[str]
    """Resources `pulumi up` would update or replace."""
    drifted: set[str]
    """Resources whose ignored properties changed: untouched now, different once rebuilt."""


def diff(before: ProgramRun, after: ProgramRun) -> GraphDiff:
    old = {r.urn: r for r in before.resources}
    new = {r.urn: r for r in after.resources}
    common = old.keys() & new.keys()

    def differ(inputs: Any) -> set[str]:
        return {urn.rsplit("::", 1)[-1] for urn in common if inputs(old[urn]) != inputs(new[urn])}

    return GraphDiff(
        added={u.rsplit("::", 1)[-1] for u in new.keys() - old.keys()},
        removed={u.rsplit("::", 1)[-1] for u in old.keys() - new.keys()},
        changed=differ(effective_inputs),
        drifted=differ(ignored_inputs),
    )


def depends_on(run: ProgramRun) -> dict[str, set[str]]:
    """urn -> urns it depends on for ordering: explicit and input dependencies, and its provider."""
    graph: dict[str, set[str]] = {}
    for resource in run.resources:
        edges = set(resource.dependencies)
        if resource.provider:
            edges.add(_urn(resource.provider))
        graph[resource.urn] = edges
    return graph


def _urn(provider_reference: str) -> str:
    # A provider reference is "<urn>::<id>"; the urn itself contains "::" separators.
    return provider_reference.rsplit("::", 1)[0]


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Everything `start` depends on, directly or transitively."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def destroyed_before(run: ProgramRun, first: str, then: str) -> bool:
    """True when `pulumi destroy` must delete `first` before `then` (first depends on then)."""
    urn = {r.name: r.urn for r in run.resources}
    return urn[then] in reachable(depends_on(run), urn[first])
