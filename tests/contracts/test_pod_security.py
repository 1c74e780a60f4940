"""Every container a chart creates in a `restricted` namespace passes Pod Security `restricted`, and every
container with a read-only root filesystem has a writable mount where it writes. The containers and the
values paths that shape them come from tests/contracts/chart_workloads.py, whose paths are checked here
against the pinned charts' own data."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.contracts.chart_workloads import (
    CHART_WORKLOADS,
    NOT_RENDERED,
    Container,
    Workload,
    container_context,
    rendered,
    switched_on,
    value,
)
from tests.contracts.charts import (
    ChartValues,
    Path,
    chart_defaults,
    helm_merge,
    template_paths,
)
from tests.contracts.known_keys import is_known
from tests.contracts.runs import STACKS, contract_run, one_release_per_chart
from tests.contracts.test_chart_values import merged_values
from tests.k8s_schema import kubernetes_objects

ALLOWED_CAPABILITIES = {"NET_BIND_SERVICE"}
"""The only capability `restricted` lets a container add (Pod Security Standards)."""


def restricted_violations(ctx: dict[str, Any], host_network: bool, host_pid: bool) -> list[str]:
    """Pod Security Standards `restricted` (latest) for one container's effective settings."""
    problems = []
    if host_network or host_pid:
        problems.append("host namespaces")
    if ctx.get("privileged"):
        problems.append("privileged")
    if ctx.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation != false")
    capabilities = ctx.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        problems.append("capabilities.drop lacks ALL")
    if set(capabilities.get("add") or []) - ALLOWED_CAPABILITIES:
        problems.append(f"capabilities.add {capabilities['add']}")
    if ctx.get("runAsNonRoot") is not True:
        problems.append("runAsNonRoot != true (pod or container)")
    if ctx.get("runAsUser") == 0:
        problems.append("runAsUser 0")
    if (ctx.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
        problems.append("seccompProfile not RuntimeDefault/Localhost (pod or container)")
    return problems


def _namespace_levels() -> dict[str, str]:
    """Pod Security `enforce` level per namespace the program creates; the cluster default is
    `restricted` (components/k3s/files/psa.yaml), kube-system is exempt."""
    levels = {"kube-system": "exempt"}
    for stack in STACKS:
        for obj in kubernetes_objects(contract_run(stack)).values():
            if obj["kind"] == "Namespace":
                labels = obj["metadata"].get("labels") or {}
                levels[obj["metadata"]["name"]] = labels.get(
                    "pod-security.kubernetes.io/enforce", "restricted"
                )
    return levels


RELEASES = one_release_per_chart()
LEVELS = _namespace_levels()


def pod_security_problems(release: ChartValues, merged: dict[str, Any]) -> list[str]:
    problems = []
    for workload in CHART_WORKLOADS[release.chart]:
        namespace = workload.namespace or release.namespace
        if LEVELS.get(namespace, "restricted") != "restricted":
            continue
        host_network = bool(value(merged, workload.host_network, False))
        host_pid = bool(value(merged, workload.host_pid, False))
        for container in rendered(merged, workload):
            ctx = container_context(release.chart, merged, workload, container)
            problems += [
                f"{workload.name}/{container.name}: {p}"
                for p in restricted_violations(ctx, host_network, host_pid)
            ]
    return problems


def write_problems(release: ChartValues, merged: dict[str, Any]) -> list[str]:
    """A read-only container must have a writable mount at (or above) the directory it writes to."""
    problems = []
    for workload in CHART_WORKLOADS[release.chart]:
        for container in rendered(merged, workload):
            ctx = container_context(release.chart, merged, workload, container)
            if not ctx.get("readOnlyRootFilesystem") or container.writes_to is None:
                continue
            target = str(value(merged, container.writes_to))
            mounts = [
                m["mountPath"]
                for m in value(merged, container.extra_mounts, []) or []
                if not m.get("readOnly")
            ]
            if not any(target == m.rstrip("/") or target.startswith(m.rstrip("/") + "/") for m in mounts):
                problems.append(f"{workload.name}/{container.name} writes to {target} on a read-only root")
    return problems


def _model_paths(workload: Workload) -> list[Path]:
    paths: list[Path | bool | None] = [
        workload.pod_security_context,
        workload.host_network,
        workload.host_pid,
    ]
    paths.append(workload.enabled)
    for c in workload.containers:
        paths += [c.security_context, c.enabled, c.writes_to, c.extra_mounts]
    return [p for p in paths if isinstance(p, tuple)]


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_the_workload_model_names_paths_the_pinned_chart_reads(chart: str) -> None:
    release = RELEASES[chart]
    unknown = [
        ".".join(p)
        for w in CHART_WORKLOADS[chart]
        for p in _model_paths(w)
        if not is_known(chart, release.version, p)
    ]
    assert unknown == []


def unexplained_contexts(chart: str) -> list[str]:
    """Security-context paths the chart reads that are neither modelled nor of a part switched off."""
    release = RELEASES[chart]
    merged = merged_values(release)
    modelled = {".".join(p) for w in CHART_WORKLOADS[chart] for p in _model_paths(w)}
    off = NOT_RENDERED.get(chart, {})
    unexplained = []
    for path in sorted(template_paths(chart, release.version)):
        parts = path.split(".")
        ends = [i for i, part in enumerate(parts) if part.lower().endswith("securitycontext")]
        if not ends:
            continue
        context_path = ".".join(parts[: ends[0] + 1])
        if context_path in modelled or context_path.startswith("defaults."):
            continue  # loki's `defaults.*` is the fallback of the per-component contexts modelled here
        prefix = next((p for p in off if context_path.startswith(p + ".")), None)
        if prefix is None or (
            off[prefix][0] is not None and switched_on(value(merged, off[prefix][0], True))
        ):
            unexplained.append(context_path)
    return unexplained


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_every_security_context_the_chart_reads_is_modelled_or_switched_off(chart: str) -> None:
    assert unexplained_contexts(chart) == []


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_every_container_in_a_restricted_namespace_passes_pod_security_restricted(chart: str) -> None:
    release = RELEASES[chart]
    assert pod_security_problems(release, merged_values(release)) == []


@pytest.mark.parametrize("chart", sorted(RELEASES))
def test_read_only_containers_can_write_where_they_write(chart: str) -> None:
    release = RELEASES[chart]
    assert write_problems(release, merged_values(release)) == []


def test_the_restricted_releases_are_checked() -> None:
    restricted = {c for c, r in RELEASES.items() if LEVELS.get(r.namespace) == "restricted"}
    assert {"alloy", "loki", "kube-prometheus-stack", "cert-manager", "cluster-autoscaler"} <= restricted


ALLOY_1_10_VALUES = {
    "controller": {"type": "deployment", "replicas": 1},
    "alloy": {
        "mounts": {"varlog": False, "dockercontainers": False},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
            "runAsNonRoot": True,
            "runAsUser": 473,
        },
    },
    "configReloader": {
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    },
}
"""The Alloy values of the previous main (chart 1.10.0): rejected by Pod Security, then crash-looping."""


def test_the_previous_alloy_values_fail_both_checks() -> None:
    old = ChartValues("alloy", "alloy", "1.10.0", "monitoring", ALLOY_1_10_VALUES)
    merged = helm_merge(chart_defaults("alloy", "1.10.0"), old.values)
    assert pod_security_problems(old, merged) == [
        "alloy/config-reloader: runAsNonRoot != true (pod or container)"
    ]
    assert write_problems(old, merged) == ["alloy/alloy writes to /tmp/alloy on a read-only root"]


def test_an_added_capability_or_privilege_escalation_is_caught() -> None:
    release = RELEASES["cluster-autoscaler"]
    values = copy.deepcopy(release.values)
    values["containerSecurityContext"]["capabilities"]["add"] = ["KILL"]
    values["containerSecurityContext"]["allowPrivilegeEscalation"] = True
    bad = ChartValues(release.resource, release.chart, release.version, release.namespace, values)
    assert pod_security_problems(bad, merged_values(bad)) == [
        "cluster-autoscaler/cluster-autoscaler: allowPrivilegeEscalation != false",
        "cluster-autoscaler/cluster-autoscaler: capabilities.add ['KILL']",
    ]


def test_a_container_without_a_path_in_the_chart_is_reported() -> None:
    ghost = Workload("ghost", (Container("ghost", ("ghost", "securityContext")),))
    assert [".".join(p) for p in _model_paths(ghost) if not is_known("alloy", "1.11.1", p)] == [
        "ghost.securityContext"
    ]
