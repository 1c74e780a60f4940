"""Which workloads may reach the metadata service, over every pod the program creates: its own objects and
the containers of every Helm release (tests/contracts/chart_workloads.py).

The node rules (components/k3s/files/platform-block-metadata) drop every packet to the metadata service
from the pod network, and from the host's own sockets unless they are root; root sockets of pods pass
only in the group `METADATA_GID`. So a container reaches it only when it runs on the host network, as
root, with that group. Every container whose program needs the metadata service (read in upstream
source, `NEEDS_METADATA`) must reach it, and every container that reaches it must be one
`components/cluster_addons/hetzner.py` `METADATA_CLIENTS` declares."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from components.cluster_addons.hetzner import METADATA_CLIENTS, METADATA_GID
from tests.contracts.chart_workloads import CHART_WORKLOADS, container_context, rendered, value
from tests.contracts.charts import ChartValues, helm_merge, lookup
from tests.contracts.runs import STACKS, contract_run, one_release_per_chart
from tests.contracts.test_chart_values import merged_values
from tests.k8s_schema import kubernetes_objects

RULES = Path(__file__).resolve().parents[2] / "components" / "k3s" / "files" / "platform-block-metadata"

Needs = Callable[[Mapping[str, Any]], bool]


def _env(merged: Mapping[str, Any], name: str) -> str:
    return str(lookup(merged, ("env", name, "value"))[1] or "").lower()


NEEDS_METADATA: dict[tuple[str, str, str], tuple[Needs, str]] = {
    ("hcloud-csi", "hcloud-csi-node", "hcloud-csi-driver"): (
        lambda merged: True,
        "cmd/main.go (v2.17-v2.22): the node service's server id is `metadataClient.InstanceID...()` only",
    ),
    ("hcloud-csi", "hcloud-csi-controller", "hcloud-csi-driver"): (
        lambda merged: not value(merged, ("controller", "hcloudVolumeDefaultLocation")),
        "cmd/main.go / internal/app: the default volume location is HCLOUD_VOLUME_DEFAULT_LOCATION (from "
        "controller.hcloudVolumeDefaultLocation), else looked up, with the metadata service as fallback",
    ),
    (
        "hcloud-cloud-controller-manager",
        "hcloud-cloud-controller-manager",
        "hcloud-cloud-controller-manager",
    ): (
        lambda merged: (
            bool(value(merged, ("networking", "enabled")))
            and _env(merged, "HCLOUD_NETWORK_DISABLE_ATTACHED_CHECK") != "true"
        ),
        "hcloud/cloud.go: with a network configured, serverIsAttachedToNetwork reads the metadata service "
        "unless HCLOUD_NETWORK_DISABLE_ATTACHED_CHECK=true",
    ),
}
"""(chart, workload, container) -> (whether it needs the metadata service given the merged values, where
upstream says so)."""


def reaches(host_network: bool, ctx: Mapping[str, Any]) -> bool:
    """Whether a container gets past the node's metadata rules (see the module docstring)."""
    may_be_root = ctx.get("runAsUser") == 0 or (
        ctx.get("runAsUser") is None and ctx.get("runAsNonRoot") is not True
    )
    return host_network and may_be_root and ctx.get("runAsGroup") == METADATA_GID


def chart_access(release: ChartValues, merged: Mapping[str, Any]) -> dict[tuple[str, str], tuple[bool, bool]]:
    """(workload, container) -> (needs, reaches) for every container the release creates."""
    found = {}
    for workload in CHART_WORKLOADS[release.chart]:
        host_network = bool(value(merged, workload.host_network, False))
        for container in rendered(merged, workload):
            ctx = container_context(release.chart, merged, workload, container)
            rule = NEEDS_METADATA.get((release.chart, workload.name, container.name))
            needs = rule is not None and rule[0](merged)
            found[(workload.name, container.name)] = (needs, reaches(host_network, ctx))
    return found


def access_problems(access: Mapping[tuple[str, str], tuple[bool, bool]]) -> list[str]:
    problems = []
    for (workload, container), (needs, reached) in sorted(access.items()):
        if needs and not reached:
            problems.append(f"{workload}/{container} needs the metadata service but cannot reach it")
        if reached and (workload, container) not in METADATA_CLIENTS:
            problems.append(f"{workload}/{container} can reach the metadata service but is not declared")
    return problems


def _own_pod_specs(objects: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    specs = {}
    for name, obj in objects.items():
        spec = obj.get("spec") or {}
        if obj["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        template = spec.get("template") if obj["kind"] != "Pod" else {"spec": spec}
        if isinstance(template, Mapping) and "containers" in (template.get("spec") or {}):
            specs[f"{obj['kind']}/{name}"] = template["spec"]
    return specs


def own_access(pod: Mapping[str, Any]) -> dict[str, bool]:
    """container -> reaches, for a pod spec the program renders itself (it needs the service nowhere)."""
    pod_ctx = {k: v for k, v in (pod.get("securityContext") or {}).items() if k != "seccompProfile"}
    return {
        c["name"]: reaches(bool(pod.get("hostNetwork")), {**pod_ctx, **(c.get("securityContext") or {})})
        for c in [*pod.get("initContainers", []), *pod["containers"]]
    }


RELEASES = one_release_per_chart()


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_chart_containers_reach_the_metadata_service_exactly_when_declared(chart: str) -> None:
    release = RELEASES[chart]
    assert access_problems(chart_access(release, merged_values(release))) == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_workload_the_program_renders_itself_reaches_the_metadata_service(stack: str) -> None:
    specs = _own_pod_specs(kubernetes_objects(contract_run(stack)))
    assert "Deployment/k3s-suc" in specs
    assert {name: c for name, pod in specs.items() for c, hit in own_access(pod).items() if hit} == {}


def test_every_declared_client_exists_and_one_of_them_needs_the_service() -> None:
    csi = chart_access(RELEASES["hcloud-csi"], merged_values(RELEASES["hcloud-csi"]))
    assert {key for key, (_, reached) in csi.items() if reached} == set(METADATA_CLIENTS)
    assert {key for key, (needs, _) in csi.items() if needs} == {("hcloud-csi-node", "hcloud-csi-driver")}


def test_the_node_rules_let_the_declared_group_through() -> None:
    """The rule file implements the model above: when it restricts root sockets to the host's own
    services (cgroup match), it exempts METADATA_GID."""
    rules = RULES.read_text()
    assert "PREROUTING" in rules and "169.254.169.254" in rules
    if "-m cgroup" in rules:
        assert re.search(rf"--gid-owner {METADATA_GID}\b", rules), f"{RULES.name} drops the CSI node plugin"


PREVIOUS_CSI_VALUES = {
    "storageClasses": [{"name": "hcloud-volumes", "defaultStorageClass": True, "reclaimPolicy": "Retain"}]
}
PREVIOUS_CCM_ENV = {
    "HCLOUD_LOAD_BALANCERS_LOCATION": {"value": "nbg1"},
    "HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP": {"value": "true"},
    "HCLOUD_LOAD_BALANCERS_DISABLE_PRIVATE_INGRESS": {"value": "true"},
}


def test_the_previous_csi_values_leave_both_halves_without_the_metadata_service() -> None:
    old = ChartValues("csi", "hcloud-csi", "2.17.0", "kube-system", PREVIOUS_CSI_VALUES)
    assert access_problems(chart_access(old, merged_values(old))) == [
        "hcloud-csi-controller/hcloud-csi-driver needs the metadata service but cannot reach it",
        "hcloud-csi-node/hcloud-csi-driver needs the metadata service but cannot reach it",
    ]


def test_the_ccm_with_its_network_check_on_needs_the_service() -> None:
    release = RELEASES["hcloud-cloud-controller-manager"]
    values = helm_merge(release.values, {"env": None})
    values["env"] = PREVIOUS_CCM_ENV
    old = ChartValues(release.resource, release.chart, release.version, release.namespace, values)
    assert access_problems(chart_access(old, merged_values(old))) == [
        "hcloud-cloud-controller-manager/hcloud-cloud-controller-manager needs the metadata service but "
        "cannot reach it"
    ]


def test_another_root_host_network_pod_in_the_group_is_reported() -> None:
    pod = {
        "hostNetwork": True,
        "securityContext": {"runAsGroup": METADATA_GID},
        "containers": [{"name": "x"}],
    }
    assert own_access(pod) == {"x": True}
    assert own_access({**pod, "hostNetwork": False}) == {"x": False}
    assert own_access({**pod, "securityContext": {"runAsGroup": METADATA_GID, "runAsUser": 65534}}) == {
        "x": False
    }
