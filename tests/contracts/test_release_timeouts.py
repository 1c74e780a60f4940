"""Helm releases wait long enough on a fresh cluster. Helm's default (300 s) is what every release had
before: too short for a release that pulls several images onto new nodes and waits for Hetzner volumes to
be created and attached. Every release sets its own timeout; a release that waits for volumes (it claims
storage, read from its values) or rolls out a DaemonSet of several images gets at least 15 minutes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.charts import RELEASE_TYPE, ChartValues, chart_releases
from tests.contracts.runs import STACKS, contract_run

HELM_DEFAULT = 300
HEAVY_MINIMUM = 900
HEAVY_CHARTS = {"kube-prometheus-stack": "Grafana, operator, kube-state-metrics and node-exporter images"}
"""Charts that are heavy without claiming storage, with why."""


def claims_storage(values: Any) -> bool:
    """Whether chart values ask for persistent volumes (a storage class or a claim template)."""
    if isinstance(values, dict):
        if (
            "storageClass" in values
            or "storageClassName" in values
            or values.get("type") == "persistentVolumeClaim"
        ):
            return True
        return any(claims_storage(v) for v in values.values())
    if isinstance(values, list):
        return any(claims_storage(v) for v in values)
    return False


def timeout_problems(release: ChartValues) -> list[str]:
    if release.timeout is None or release.timeout <= HELM_DEFAULT:
        return [f"{release.resource}: timeout {release.timeout} (Helm's default is {HELM_DEFAULT} s)"]
    heavy = claims_storage(release.values) or release.chart in HEAVY_CHARTS
    if heavy and release.timeout < HEAVY_MINIMUM:
        return [
            f"{release.resource}: {release.timeout} s for a release that waits for volumes or many images"
        ]
    return []


def _releases(stack: str) -> list[ChartValues]:
    return [r for r in chart_releases(contract_run(stack)) if r.chart != "traefik"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_release_waits_long_enough_for_a_fresh_cluster(stack: str) -> None:
    releases = _releases(stack)
    assert len(releases) == len(contract_run(stack).of_type(RELEASE_TYPE))
    assert [p for r in releases for p in timeout_problems(r)] == []


def test_the_volume_releases_are_recognised() -> None:
    heavy = {r.chart for r in _releases("dev") if claims_storage(r.values)}
    assert heavy == {"kube-prometheus-stack", "loki", "seaweedfs"}


def test_helms_default_and_a_short_timeout_on_a_volume_release_are_reported() -> None:
    loki = next(r for r in _releases("dev") if r.chart == "loki")
    default = ChartValues(loki.resource, loki.chart, loki.version, loki.namespace, loki.values, None)
    short = ChartValues(loki.resource, loki.chart, loki.version, loki.namespace, loki.values, 600)
    assert timeout_problems(default) == ["observability-loki: timeout None (Helm's default is 300 s)"]
    assert timeout_problems(short) == [
        "observability-loki: 600 s for a release that waits for volumes or many images"
    ]
