"""What the program hands each chart, next to that chart's own data (vendored upstream, read-only).

A "release" here is every set of chart values the program sets: each `helm.v3.Release`, and the Traefik
`HelmChartConfig` whose values k3s merges over the Traefik chart it bundles. The chart data comes from
`tests/upstream_data.py` only: `charts/<chart>-<version>/` with values.yaml, values.schema.json (where the
chart has one), crds/ and template-values-paths.txt.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from components import versions
from offline.program import ProgramRun
from tests.upstream_data import UpstreamDataError, upstream_dir, upstream_file

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
HELM_CHART_CONFIG = "kubernetes:helm.cattle.io/v1:HelmChartConfig"
TRAEFIK_CHART = "traefik"

KPS = "kube-prometheus-stack"
SUBCHARTS: dict[str, dict[str, str]] = {
    KPS: {
        "grafana": "grafana",
        "kube-state-metrics": "kube-state-metrics",
        "prometheus-node-exporter": "prometheus-node-exporter",
    },
}
"""Subcharts whose defaults sit under a key of the parent's values (key -> chart name); their versions
come from the parent's vendored Chart.yaml `dependencies`."""


@dataclass(frozen=True)
class ChartValues:
    """One set of values the program gives one chart."""

    resource: str
    """Pulumi resource name (for messages)."""
    chart: str
    version: str
    namespace: str
    values: dict[str, Any]
    timeout: int | None = None


def chart_releases(run: ProgramRun) -> list[ChartValues]:
    """Every Helm release of a run, plus the Traefik values k3s merges into its bundled chart."""
    found = []
    for reg in run.of_type(RELEASE_TYPE):
        inputs = reg.plain_inputs
        found.append(
            ChartValues(
                reg.name,
                inputs["chart"],
                inputs["version"],
                inputs["namespace"],
                inputs.get("values") or {},
                inputs.get("timeout"),
            )
        )
    for reg in run.of_type(HELM_CHART_CONFIG):
        inputs = reg.plain_inputs
        if inputs["metadata"]["name"] == TRAEFIK_CHART:
            values = yaml.safe_load(inputs["spec"]["valuesContent"])
            found.append(
                ChartValues(reg.name, TRAEFIK_CHART, versions.TRAEFIK_CHART_VERSION, "kube-system", values)
            )
    return found


def chart_dir(chart: str, version: str) -> str:
    """The vendored folder of a chart release. A k3s-packaged chart `X+upY` not vendored itself is read
    from its upstream base `Y` (the package changes only the image, per the data's README)."""
    root = upstream_dir() / "charts"
    name = f"{chart}-{version}"
    if (root / name).is_dir():
        return f"charts/{name}"
    if "+up" in version:
        base = f"{chart}-{version.split('+up', 1)[1]}"
        if (root / base).is_dir():
            return f"charts/{base}"
    raise UpstreamDataError(
        f"chart {chart} {version} has no vendored data under {root}: vendor its values.yaml, schema, "
        "CRDs and template paths with the bump (see the upstream README)"
    )


def _yaml(relative: str) -> Any:
    return yaml.safe_load(upstream_file(relative).read_text())


@cache
def _subchart_versions(chart: str, version: str) -> dict[str, str]:
    if chart not in SUBCHARTS:
        return {}
    meta = _yaml(f"{chart_dir(chart, version)}/Chart.yaml")
    return {d["name"]: d["version"] for d in meta.get("dependencies") or []}


def subcharts(chart: str, version: str) -> dict[str, tuple[str, str]]:
    """key in the parent's values -> (subchart, version) for the subcharts vendored with `chart`."""
    deps = _subchart_versions(chart, version)
    return {key: (sub, deps[sub]) for key, sub in SUBCHARTS.get(chart, {}).items()}


@cache
def _defaults(chart: str, version: str) -> dict[str, Any]:
    values: dict[str, Any] = _yaml(f"{chart_dir(chart, version)}/values.yaml") or {}
    for key, (sub, sub_version) in subcharts(chart, version).items():
        values[key] = helm_merge(_defaults(sub, sub_version), values.get(key) or {})
    return values


def chart_defaults(chart: str, version: str) -> dict[str, Any]:
    """The chart's values.yaml, with each vendored subchart's values.yaml under its key (the parent's
    settings for it merged over), as Helm computes a release's defaults. A fresh copy each call."""
    return copy.deepcopy(_defaults(chart, version))


@cache
def template_paths(chart: str, version: str) -> frozenset[str]:
    """Every `.Values` path the chart's templates (and its vendored subcharts', prefixed) read."""
    text = upstream_file(f"{chart_dir(chart, version)}/template-values-paths.txt").read_text()
    paths = set(text.split())
    for key, (sub, sub_version) in subcharts(chart, version).items():
        paths |= {p if p.startswith("global.") else f"{key}.{p}" for p in template_paths(sub, sub_version)}
    return frozenset(paths)


def values_schema(chart: str, version: str) -> dict[str, Any] | None:
    """The chart's values.schema.json; for a k3s-packaged chart (which ships none), its upstream base's."""
    folder = upstream_dir() / chart_dir(chart, version)
    candidates = [folder / "values.schema.json", *sorted(folder.glob("upstream-*/values.schema.json"))]
    for path in candidates:
        if path.is_file():
            schema: dict[str, Any] = json.loads(path.read_text())
            return schema
    return None


def helm_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's value coalescing: maps merge key by key, anything else (lists too) replaces, null deletes."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


Path = tuple[str, ...]


def leaf_paths(values: Mapping[str, Any], prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(path, value) of every key the values set, descending into maps but not into lists."""
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from leaf_paths(value, path)
        else:
            yield path, value


def lookup(values: Any, path: Path) -> tuple[bool, Any]:
    """(present, value) of a path in nested maps."""
    node = values
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node
