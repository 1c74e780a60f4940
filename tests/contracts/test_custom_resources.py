"""Every custom resource the program creates validates against the CRD of the release that serves it: the
vendored CRDs of the pinned charts (Traefik as k3s bundles it, cert-manager, kube-prometheus-stack, Alloy)
and of the pinned system-upgrade-controller. The CRD's openAPIV3Schema is read as the API server reads it:
a field the schema does not declare is pruned, so it counts as an error here."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema
import pytest
import yaml

from components import versions
from tests.contracts.charts import chart_dir
from tests.contracts.runs import STACKS, contract_run
from tests.k8s_schema import kubernetes_objects
from tests.upstream_data import upstream_dir

SUC_VERSION = versions.SYSTEM_UPGRADE_CONTROLLER_IMAGE.rsplit(":", 1)[1]

CRD_SOURCES = {
    "traefik.io": f"{chart_dir('traefik', versions.TRAEFIK_CHART_VERSION)}/crds",
    "cert-manager.io": f"{chart_dir('cert-manager', versions.CERT_MANAGER_CHART_VERSION)}/crds",
    "acme.cert-manager.io": f"{chart_dir('cert-manager', versions.CERT_MANAGER_CHART_VERSION)}/crds",
    "monitoring.coreos.com": (
        f"{chart_dir('kube-prometheus-stack', versions.KUBE_PROMETHEUS_STACK_CHART_VERSION)}/crds"
    ),
    "monitoring.grafana.com": f"{chart_dir('alloy', versions.ALLOY_CHART_VERSION)}/crds",
    "upgrade.cattle.io": f"system-upgrade-controller/{SUC_VERSION}",
}
"""API group -> vendored folder holding the CRDs of the pinned release that serves it."""

NO_CRD = {
    ("helm.cattle.io", "HelmChartConfig"): (
        "k3s's own CRD (not vendored); the Traefik values inside are checked against the chart by "
        "tests/contracts/test_chart_values.py"
    ),
}


class _CrdLoader(yaml.CSafeLoader):
    """PyYAML reads a bare `=` (an enum value in the Prometheus Operator CRDs) as YAML 1.1's `value` tag;
    Kubernetes reads it as the string "="."""


def _plain_scalar(loader: yaml.CSafeLoader, node: yaml.Node) -> Any:
    assert isinstance(node, yaml.ScalarNode)
    return loader.construct_scalar(node)


_CrdLoader.add_constructor("tag:yaml.org,2002:value", _plain_scalar)


@cache
def _crds() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for folder in set(CRD_SOURCES.values()):
        for path in sorted((upstream_dir() / folder).glob("*.yaml")):
            for doc in yaml.load_all(path.read_text(), Loader=_CrdLoader):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    spec = doc["spec"]
                    found[(spec["group"], spec["names"]["kind"])] = doc
    return found


def structural(schema: dict[str, Any]) -> dict[str, Any]:
    """A Kubernetes structural schema as JSON Schema: int-or-string, nullable, and pruning of unknown
    fields (every object with declared properties and no preserve-unknown-fields is closed)."""
    out = {k: structural(v) if isinstance(v, dict) else v for k, v in schema.items()}
    for key in ("properties", "patternProperties"):
        if key in schema:
            out[key] = {name: structural(sub) for name, sub in schema[key].items()}
    if isinstance(schema.get("items"), dict):
        out["items"] = structural(schema["items"])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            out[key] = [structural(sub) for sub in schema[key]]
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        schema.get("type") == "object"
        and "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def cr_errors(obj: dict[str, Any]) -> list[str]:
    group, _, version = obj["apiVersion"].rpartition("/")
    key = (group, obj["kind"])
    if key in NO_CRD:
        return []
    crd = _crds().get(key)
    if crd is None:
        return [f"no vendored CRD for {obj['kind']} ({group}); map its group in CRD_SOURCES"]
    validator = _validator(key, version)
    if validator is None:
        return [f"{obj['apiVersion']} is not served by the pinned CRD of {obj['kind']}"]
    return sorted(
        f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(obj)
    )


@cache
def _validator(key: tuple[str, str], version: str) -> jsonschema.Draft7Validator | None:
    crd = _crds()[key]
    served = [v for v in crd["spec"]["versions"] if v["name"] == version and v.get("served", True)]
    if not served:
        return None
    schema = structural(copy.deepcopy(served[0]["schema"]["openAPIV3Schema"]))
    schema["properties"]["metadata"] = {"type": "object"}
    return jsonschema.Draft7Validator(schema)


def _custom_resources() -> dict[str, dict[str, Any]]:
    found = {}
    for stack in STACKS:
        for name, obj in kubernetes_objects(contract_run(stack)).items():
            group = obj.get("apiVersion", "").rpartition("/")[0]
            if "." in group and not group.endswith(".k8s.io"):
                found[f"{obj['kind']}/{name}"] = obj
    return found


CUSTOM_RESOURCES = _custom_resources()


def test_the_custom_kinds_are_all_seen() -> None:
    kinds = {obj["kind"] for obj in CUSTOM_RESOURCES.values()}
    assert {"Middleware", "TLSOption", "ClusterIssuer", "PrometheusRule", "PodMonitor", "Plan"} <= kinds


@pytest.mark.parametrize("name", sorted(CUSTOM_RESOURCES))
def test_every_custom_resource_validates_against_its_pinned_crd(name: str) -> None:
    assert cr_errors(CUSTOM_RESOURCES[name]) == []


def _one(kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in CUSTOM_RESOURCES.values() if o["kind"] == kind))


def test_an_unknown_field_is_pruned_so_it_is_an_error() -> None:
    headers = _one("Middleware")
    headers["spec"]["headers"]["stsSecond"] = 60
    assert any("'stsSecond' was unexpected" in e for e in cr_errors(headers))


def test_a_wrong_type_and_a_wrong_enum_are_errors() -> None:
    plan = _one("Plan")
    plan["spec"]["window"]["days"] = ["someday"]
    plan["spec"]["concurrency"] = "one"
    errors = cr_errors(plan)
    assert any(e.startswith("spec.window.days.0") for e in errors)
    assert any(e.startswith("spec.concurrency") for e in errors)


def test_a_kind_without_a_vendored_crd_is_an_error() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert cr_errors(widget) == ["no vendored CRD for Widget (example.com); map its group in CRD_SOURCES"]
