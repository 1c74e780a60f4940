"""How long metrics and logs are kept is what the user set, on the keys the pinned charts read: a key
misspelt inside the Helm values would be silently ignored by the chart, so each path is checked
against the chart's own values.yaml (vendored upstream data, tests/upstream_data.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml

from components import versions
from offline.program import ProgramRun
from tests.upstream_data import upstream_file

RETENTION_PATHS = {
    "kube-prometheus-stack": (
        ("prometheus", "prometheusSpec", "retention"),
        ("prometheus", "prometheusSpec", "retentionSize"),
    ),
    "loki": (("loki", "limits_config"), ("loki", "compactor")),
}
"""Where the retention settings go, per chart (Loki's limits_config and compactor are maps of Loki's
own configuration that the chart passes through; their keys are Loki's)."""

CHART_VERSIONS = {
    "kube-prometheus-stack": versions.KUBE_PROMETHEUS_STACK_CHART_VERSION,
    "loki": versions.LOKI_CHART_VERSION,
}


@cache
def chart_values(chart: str) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(
        upstream_file(f"charts/{chart}-{CHART_VERSIONS[chart]}/values.yaml").read_text()
    )
    return values


def _release_values(run: ProgramRun, chart: str) -> dict[str, Any]:
    (release,) = [r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.plain_inputs["chart"] == chart]
    values: dict[str, Any] = release.plain_inputs["values"]
    return values


def _defined(values: dict[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = values
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def unknown_paths(chart: str, values: dict[str, Any]) -> list[str]:
    """Retention paths the program sets that the pinned chart does not define (or that it drops)."""
    return [
        ".".join(path)
        for path in RETENTION_PATHS[chart]
        if not (_defined(values, path) and _defined(chart_values(chart), path))
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_retention_lands_on_keys_the_charts_read(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    run = dev_run if stack == "dev" else prod_run
    config = yaml.safe_load(run.settings.config.get("platform:observability", "{}")) or {}
    prometheus = _release_values(run, "kube-prometheus-stack")
    assert unknown_paths("kube-prometheus-stack", prometheus) == []
    assert prometheus["prometheus"]["prometheusSpec"]["retention"] == config.get("prometheusRetention", "15d")
    loki = _release_values(run, "loki")
    assert unknown_paths("loki", loki) == []
    assert loki["loki"]["limits_config"]["retention_period"] == config.get("lokiRetention", "168h")
    assert loki["loki"]["compactor"]["retention_enabled"] is True, "Loki deletes nothing without it"


def test_a_misspelt_key_is_reported(prod_run: ProgramRun) -> None:
    """Failing case: the audit's mutation (`retentionn`) is named."""
    values = _release_values(prod_run, "kube-prometheus-stack")
    spec = dict(values["prometheus"]["prometheusSpec"])
    spec["retentionn"] = spec.pop("retention")
    broken = {**values, "prometheus": {**values["prometheus"], "prometheusSpec": spec}}
    assert unknown_paths("kube-prometheus-stack", broken) == ["prometheus.prometheusSpec.retention"]
