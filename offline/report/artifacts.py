"""`--out DIR`: what the cloud would receive, as files the real consumers can check.

- `user-data/<server>.yaml`: each server's cloud-init user-data, unmasked, because `cloud-init schema`
  and a human reviewer need the real document; it holds the cluster's keys and tokens, so the report
  marks these files secret. Nothing else written here contains a secret value.
- `kubernetes/NNN-<kind>-<namespace>-<name>.yaml`: one Kubernetes object per file, numbered in
  dependency order (the order `pulumi up` would create them), secrets masked.
- `helm/NNN-<release>.yaml`: each Helm release (chart, version, values), secrets masked.
- `graph.dot` (and `graph.svg` when graphviz's `dot` is installed): parents and dependencies.
- `resources.json`: every resource with type, URN, parent, dependencies and masked inputs.
"""

from __future__ import annotations

import heapq
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..program import Registration
from ..wire import mask, reveal
from .preview import Artifact

SERVER = "hcloud:index/server:Server"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def dependency_order(resources: Sequence[Registration]) -> list[Registration]:
    """Parents and dependencies before dependents; ties broken by URN so the order is stable."""
    by_urn = {r.urn: r for r in resources}
    needs = {r.urn: {d for d in (*r.dependencies, r.parent) if d in by_urn and d != r.urn} for r in resources}
    dependents: dict[str, list[str]] = {urn: [] for urn in by_urn}
    for urn, deps in needs.items():
        for dep in deps:
            dependents[dep].append(urn)
    ready = [urn for urn, deps in needs.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Registration] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for dependent in dependents[urn]:
            needs[dependent].discard(urn)
            if not needs[dependent]:
                heapq.heappush(ready, dependent)
    if len(ordered) != len(resources):  # a cycle cannot come from a Pulumi program; keep the rest anyway
        seen = {r.urn for r in ordered}
        ordered += sorted((r for r in resources if r.urn not in seen), key=lambda r: r.urn)
    return ordered


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower() or "unnamed"


def _is_kubernetes_object(resource: Registration) -> bool:
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and resource.type != HELM_RELEASE
        and "kind" in resource.inputs
    )


def _kubernetes_order(document: dict[str, Any]) -> dict[str, Any]:
    """apiVersion, kind and metadata first, as people write manifests."""
    head: dict[str, Any] = {
        key: document[key] for key in ("apiVersion", "kind", "metadata") if key in document
    }
    return {**head, **{key: value for key, value in document.items() if key not in head}}


def _dump(document: object) -> str:
    return yaml.dump(
        document, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def write_user_data(resources: Sequence[Registration], out: Path) -> list[Artifact]:
    artifacts = []
    for server in sorted((r for r in resources if r.type == SERVER), key=lambda r: r.name):
        user_data = reveal(server.inputs.get("userData"))
        if not isinstance(user_data, str):
            continue
        path = out / "user-data" / f"{_slug(server.name)}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(user_data)
        artifacts.append(
            Artifact(path, f"user-data of server {server.name}", "cloud-init user-data", secret=True)
        )
    return artifacts


def write_kubernetes(ordered: Sequence[Registration], out: Path) -> list[Artifact]:
    artifacts = []
    objects = [r for r in ordered if _is_kubernetes_object(r)]
    releases = [r for r in ordered if r.type == HELM_RELEASE]
    for index, resource in enumerate(objects, start=1):
        document = _kubernetes_order(mask(resource.inputs, keep_shape=True))
        metadata = document.get("metadata") or {}
        parts = [
            document.get("kind", "object"),
            metadata.get("namespace", ""),
            metadata.get("name", resource.name),
        ]
        path = out / "kubernetes" / f"{index:03d}-{_slug('-'.join(p for p in parts if p))}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(document))
        artifacts.append(
            Artifact(
                path,
                f"{document.get('kind')} {metadata.get('name', resource.name)}",
                "Kubernetes objects, one per file, in dependency order",
            )
        )
    for index, release in enumerate(releases, start=1):
        path = out / "helm" / f"{index:03d}-{_slug(release.name)}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(mask(release.inputs, keep_shape=True)))
        artifacts.append(
            Artifact(path, f"Helm release {release.name}", "Helm releases (chart, version, values)")
        )
    return artifacts


def render_dot(ordered: Sequence[Registration]) -> str:
    index = {r.urn: f"r{i}" for i, r in enumerate(ordered)}
    lines = ["digraph resources {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];']
    for resource in ordered:
        shape = ', style="rounded,dashed"' if not resource.custom else ""
        label = json.dumps(f"{resource.type}\n{resource.name}")
        lines.append(f"  {index[resource.urn]} [label={label}{shape}];")
    for resource in ordered:
        if resource.parent in index:
            lines.append(
                f"  {index[resource.parent]} -> {index[resource.urn]} [style=dashed, arrowhead=none];"
            )
        for dep in sorted(set(resource.dependencies)):
            if dep in index and dep != resource.parent:
                lines.append(f"  {index[dep]} -> {index[resource.urn]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_graph(ordered: Sequence[Registration], out: Path) -> list[Artifact]:
    dot_path = out / "graph.dot"
    dot_path.write_text(render_dot(ordered))
    artifacts = [Artifact(dot_path, "resource graph (graphviz)")]
    dot = shutil.which("dot")
    if dot is not None:
        svg_path = out / "graph.svg"
        subprocess.run([dot, "-Tsvg", "-o", str(svg_path), str(dot_path)], check=True, timeout=300)
        artifacts.append(Artifact(svg_path, "resource graph (picture)"))
    return artifacts


def write_resources_json(ordered: Sequence[Registration], out: Path) -> Artifact:
    records = [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "id": r.id or None,
            "parent": r.parent or None,
            "custom": r.custom,
            "provider": r.provider or None,
            "protect": r.protect,
            "dependencies": sorted(set(r.dependencies)),
            "inputs": mask(r.inputs, keep_shape=True),
        }
        for r in ordered
    ]
    path = out / "resources.json"
    path.write_text(json.dumps(records, indent=2, sort_keys=False) + "\n")
    return Artifact(path, f"{len(records)} resources, inputs with secrets masked")


def write_artifacts(resources: Sequence[Registration], out: Path) -> list[Artifact]:
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("user-data", "kubernetes", "helm"):
        shutil.rmtree(out / stale, ignore_errors=True)
    ordered = dependency_order(resources)
    return [
        *write_user_data(resources, out),
        *write_kubernetes(ordered, out),
        *write_graph(ordered, out),
        write_resources_json(ordered, out),
    ]
