"""Chart values against the charts' own data: every key the program sets is one the pinned chart reads, the
merged values pass the chart's values.schema.json, and a list the program overrides keeps the chart's
default entries unless replacing them is declared."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import yaml

from components import versions
from tests.contracts.charts import (
    TRAEFIK_CHART,
    ChartValues,
    Path,
    chart_defaults,
    chart_releases,
    helm_merge,
    leaf_paths,
    lookup,
    values_schema,
)
from tests.contracts.known_keys import is_known
from tests.contracts.runs import STACKS, contract_run
from tests.upstream_data import upstream_file

REPLACED_LISTS: dict[tuple[str, Path], str] = {
    ("hcloud-csi", ("storageClasses",)): (
        "one class of the chart's own name, with reclaimPolicy Retain instead of Delete"
    ),
    ("seaweedfs", ("volume", "dataDirs")): "the chart's hostPath directory becomes a Hetzner volume claim",
    ("kube-prometheus-stack", ("kubelet", "serviceMonitor", "metricRelabelings")): (
        "keeps the chart's bucket drop (same regex, written out) and adds one"
    ),
}
"""(chart, list path) the program replaces on purpose, each with the reason."""


def _releases() -> list[ChartValues]:
    seen: dict[tuple[str, str], ChartValues] = {}
    for stack in STACKS:
        for release in chart_releases(contract_run(stack)):
            seen.setdefault((release.resource, stack), release)
    return list(seen.values())


def unknown_keys(release: ChartValues) -> list[str]:
    return [
        ".".join(path)
        for path, _ in leaf_paths(release.values)
        if not is_known(release.chart, release.version, path)
    ]


def _k3s_traefik_values() -> dict[str, Any]:
    """The valuesContent of the pinned k3s's own Traefik HelmChart, which ours is merged over."""
    manifest = upstream_file(f"k3s/{versions.K3S_VERSION}/upstream-files/manifests/traefik.yaml")
    for doc in yaml.safe_load_all(manifest.read_text()):
        if doc and doc["metadata"]["name"] == "traefik":
            values: dict[str, Any] = yaml.safe_load(doc["spec"]["valuesContent"])
            return values
    raise AssertionError("k3s's traefik HelmChart is missing")


def merged_values(release: ChartValues) -> dict[str, Any]:
    defaults = chart_defaults(release.chart, release.version)
    if release.chart == TRAEFIK_CHART:
        defaults = helm_merge(defaults, _k3s_traefik_values())
    return helm_merge(defaults, release.values)


def schema_errors(release: ChartValues) -> list[str]:
    schema = values_schema(release.chart, release.version)
    if schema is None:
        return []
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    return sorted(
        f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(merged_values(release))
    )


def shrunk_lists(release: ChartValues) -> list[str]:
    """Lists the program sets that drop entries of the chart's default list, unless declared."""
    defaults = chart_defaults(release.chart, release.version)
    problems = []
    for path, value in leaf_paths(release.values):
        if not isinstance(value, list) or (release.chart, path) in REPLACED_LISTS:
            continue
        present, default = lookup(defaults, path)
        if present and isinstance(default, list):
            missing = [entry for entry in default if entry not in value]
            if missing:
                problems.append(f"{'.'.join(path)} drops the chart's default {missing}")
    return problems


RELEASES = _releases()
IDS = [f"{r.resource}" for r in RELEASES]


@pytest.mark.parametrize("release", RELEASES, ids=IDS)
def test_every_key_the_program_sets_is_read_by_the_pinned_chart(release: ChartValues) -> None:
    assert unknown_keys(release) == []


@pytest.mark.parametrize("release", RELEASES, ids=IDS)
def test_merged_values_pass_the_charts_schema(release: ChartValues) -> None:
    assert schema_errors(release) == []


@pytest.mark.parametrize("release", RELEASES, ids=IDS)
def test_overridden_lists_keep_the_charts_defaults(release: ChartValues) -> None:
    assert shrunk_lists(release) == []


def test_the_charts_with_schemas_are_checked() -> None:
    checked = {r.chart for r in RELEASES if values_schema(r.chart, r.version) is not None}
    assert {"cert-manager", "hcloud-csi", "loki", "traefik"} <= checked


def _release(chart: str) -> ChartValues:
    return next(r for r in RELEASES if r.chart == chart)


def _with(release: ChartValues, values: dict[str, Any]) -> ChartValues:
    return ChartValues(release.resource, release.chart, release.version, release.namespace, values)


PRE_39_TRAEFIK = {
    "ports": {
        "web": {"redirections": {"entryPoint": {"to": "websecure", "scheme": "https"}}},
        "websecure": {"middlewares": ["kube-system-security-headers@kubernetescrd"]},
    }
}
"""The Traefik values of the previous main: chart 39+ reads none of them."""


def test_traefik_keys_of_charts_before_39_are_unknown_and_rejected() -> None:
    old = _with(_release(TRAEFIK_CHART), PRE_39_TRAEFIK)
    assert unknown_keys(old) == [
        "ports.web.redirections.entryPoint.to",
        "ports.web.redirections.entryPoint.scheme",
        "ports.websecure.middlewares",
    ]
    assert any("Additional properties are not allowed ('redirections'" in e for e in schema_errors(old))


def test_a_misspelt_key_is_unknown_and_a_strict_schema_rejects_it() -> None:
    release = _release("cert-manager")
    typo = _with(release, {**copy.deepcopy(release.values), "webhok": {"replicaCount": 2}})
    assert unknown_keys(typo) == ["webhok.replicaCount"]
    assert any("'webhok'" in e for e in schema_errors(typo))


def test_a_wrong_type_fails_the_schema() -> None:
    release = _release("loki")
    wrong = _with(release, helm_merge(release.values, {"singleBinary": {"replicas": "one"}}))
    assert any(e.startswith("singleBinary.replicas") for e in schema_errors(wrong))


def test_replacing_the_node_exporter_default_args_is_caught() -> None:
    release = _release("kube-prometheus-stack")
    textfile_only = helm_merge(
        release.values,
        {"prometheus-node-exporter": {"extraArgs": ["--collector.textfile.directory=/host/root/x"]}},
    )
    (problem,) = shrunk_lists(_with(release, textfile_only))
    assert problem.startswith("prometheus-node-exporter.extraArgs drops the chart's default")
    assert "mount-points-exclude" in problem
