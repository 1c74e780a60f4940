"""What gets applied to the control plane: upstream's CRDs of the pinned charts, then the rendered objects.

Order: CRDs first (as the charts and k3s install them before anything uses them), then namespaces,
then every other rendered object in the offline preview's dependency order (the order `pulumi up`
creates them). Helm releases are not objects: their values are checked by the chart-contract tests.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components import versions
from offline.program import ProgramRun
from offline.report.artifacts import dependency_order
from tests.k8s_schema import NOT_OBJECTS
from tests.upstream_data import upstream_dir, upstream_file

from .api import Answer, Api, UnknownKindError

PINNED_CHARTS = {
    "cert-manager": versions.CERT_MANAGER_CHART_VERSION,
    "kube-prometheus-stack": versions.KUBE_PROMETHEUS_STACK_CHART_VERSION,
    "alloy": versions.ALLOY_CHART_VERSION,
    "loki": versions.LOKI_CHART_VERSION,
    "seaweedfs": versions.SEAWEEDFS_CHART_VERSION,
    "kured": versions.KURED_CHART_VERSION,
    "hcloud-cloud-controller-manager": versions.HCLOUD_CCM_CHART_VERSION,
    "hcloud-csi": versions.HCLOUD_CSI_CHART_VERSION,
    "cluster-autoscaler": versions.CLUSTER_AUTOSCALER_CHART_VERSION,
}
"""Every chart the program installs, at its pin; those that ship CRDs contribute them."""

NO_CRD_AVAILABLE: dict[tuple[str, str], str] = {
    ("helm.cattle.io/v1", "HelmChartConfig"): (
        "k3s's helm-controller registers this CRD from Go code at start-up; it is not in the vendored "
        "upstream data and the Go module proxy refuses github.com/k3s-io/helm-controller"
    ),
}
"""Rendered kinds whose CRD cannot be installed here, with the reason. Any other kind the API server
does not serve is a failure."""

ESTABLISH_TIMEOUT_SECONDS = 60


class _CrdLoader(yaml.CSafeLoader):
    """YAML 1.1's `=` "value" tag, which PyYAML resolves and cannot construct, is a plain string in the
    CRDs (a Prometheus `action` enum lists `=`); every other scalar resolves as usual."""


_CrdLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def _traefik_crd_dir() -> Path:
    """CRDs of the Traefik chart the pinned k3s bundles (k3s/k3s-traefik-map.tsv); where the k3s
    package is not vendored, its upstream base chart (40.1.4+up40.1.0 -> traefik-40.1.0)."""
    with upstream_file("k3s/k3s-traefik-map.tsv").open() as table:
        rows = csv.DictReader((line for line in table if not line.startswith("#")), delimiter="\t")
        (chart,) = [row["traefik_crd_chart"] for row in rows if row["k3s_version"] == versions.K3S_VERSION]
    packaged = upstream_dir() / "charts" / f"traefik-{chart}"
    return packaged if packaged.is_dir() else upstream_file(f"charts/traefik-{chart.split('+up')[-1]}")


def _system_upgrade_controller_crd() -> Path:
    tag = versions.SYSTEM_UPGRADE_CONTROLLER_IMAGE.rsplit(":", 1)[1]
    return upstream_file(f"system-upgrade-controller/{tag}/upgrade.cattle.io_plans.yaml")


@functools.cache
def upstream_crds() -> list[dict[str, Any]]:
    files = [
        *(path for chart, version in sorted(PINNED_CHARTS.items())
          for path in sorted(upstream_file(f"charts/{chart}-{version}").glob("crds/*.yaml"))),
        *sorted((_traefik_crd_dir() / "crds").glob("*.yaml")),
        _system_upgrade_controller_crd(),
    ]  # fmt: skip
    documents = [doc for path in files for doc in yaml.load_all(path.read_text(), Loader=_CrdLoader) if doc]
    assert all(doc["kind"] == "CustomResourceDefinition" for doc in documents)
    return documents


def _integers(value: Any) -> Any:
    """Pulumi's wire format carries every number as a double; the Kubernetes provider sends integers
    where the schema says so, and Kubernetes objects have no fractional numbers, so 3000.0 -> 3000."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integers(item) for item in value]
    return value


def _named(resource_name: str, obj: dict[str, Any]) -> dict[str, Any]:
    """An object without metadata.name gets one as the Kubernetes provider's auto-naming gives it:
    the resource name and a suffix (random there, derived from the name here so runs repeat)."""
    if obj.get("metadata", {}).get("name"):
        return obj
    suffix = hashlib.sha256(resource_name.encode()).hexdigest()[:8]
    return {**obj, "metadata": {**obj.get("metadata", {}), "name": f"{resource_name}-{suffix}"}}


def rendered_objects(run: ProgramRun) -> list[tuple[str, dict[str, Any]]]:
    """(Pulumi resource name, object) of every Kubernetes object, namespaces first, then in the
    preview's dependency order."""
    ordered = [
        (r.name, _named(r.name, _integers(r.plain_inputs)))
        for r in dependency_order(run.resources)
        if r.custom and r.type.startswith("kubernetes:") and r.type not in NOT_OBJECTS
    ]
    namespaces = [(name, obj) for name, obj in ordered if obj["kind"] == "Namespace"]
    return namespaces + [(name, obj) for name, obj in ordered if obj["kind"] != "Namespace"]


def wait_established(api: Api, names: list[str]) -> None:
    deadline = time.monotonic() + ESTABLISH_TIMEOUT_SECONDS
    waiting = set(names)
    while waiting:
        for name in sorted(waiting):
            answer = api.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            conditions = (
                (answer.body.get("status") or {}).get("conditions") or [] if answer.status == 200 else []
            )
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                waiting.discard(name)
        if waiting and time.monotonic() > deadline:
            raise AssertionError(
                f"CRDs not established after {ESTABLISH_TIMEOUT_SECONDS} s: {sorted(waiting)}"
            )
        if waiting:
            time.sleep(0.2)


@dataclass(frozen=True)
class Applied:
    crds: dict[str, Answer]
    objects: dict[str, Answer]
    """Pulumi resource name -> the API server's answer to its server-side apply."""
    not_applied: dict[str, str]
    """Pulumi resource name -> why it could not be sent (NO_CRD_AVAILABLE)."""


def _default_service_account(api: Api, namespace: str) -> None:
    """What kube-controller-manager's service-account controller does for every new namespace (no
    controller manager runs here); Pods that name no service account are admitted against it."""
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "default", "namespace": namespace},
    }
    answer = api.apply(account)
    assert answer.accepted, f"default ServiceAccount in {namespace}: {answer.message}"


def apply_everything(api: Api, run: ProgramRun) -> Applied:
    # Concurrently, as a chart install sends them: the API server's CRD handling dominates otherwise.
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = pool.map(api.apply, upstream_crds())
        crds = {doc["metadata"]["name"]: answer for doc, answer in zip(upstream_crds(), answers, strict=True)}
    wait_established(api, [name for name, answer in crds.items() if answer.accepted])
    objects: dict[str, Answer] = {}
    not_applied: dict[str, str] = {}
    for name, obj in rendered_objects(run):
        reason = NO_CRD_AVAILABLE.get((obj["apiVersion"], obj["kind"]))
        if reason:
            not_applied[name] = reason
            continue
        try:
            objects[name] = api.apply(obj, wait_seconds=10)
        except UnknownKindError as err:
            objects[name] = Answer(0, str(err))
        if obj["kind"] == "Namespace" and objects[name].accepted:
            _default_service_account(api, obj["metadata"]["name"])
    return Applied(crds, objects, not_applied)
