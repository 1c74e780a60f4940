"""Pods and workloads taken from what the program renders, as starting points for the API tests."""

from __future__ import annotations

import copy
from typing import Any

from offline.program import ProgramRun

from .objects import rendered_objects

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
ENFORCE = "pod-security.kubernetes.io/enforce"


def pod_templates(run: ProgramRun) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource name, namespace, pod template) of every rendered workload, CronJobs included."""
    templates = []
    for name, obj in rendered_objects(run):
        if obj["kind"] in WORKLOADS:
            template = obj["spec"]["template"]
        elif obj["kind"] == "CronJob":
            template = obj["spec"]["jobTemplate"]["spec"]["template"]
        else:
            continue
        templates.append((name, obj["metadata"].get("namespace", "default"), template))
    return templates


def pod_from_template(name: str, namespace: str, template: dict[str, Any]) -> dict[str, Any]:
    """The Pod a controller would create from a workload's template."""
    metadata = {**copy.deepcopy(template.get("metadata", {})), "name": f"{name}-pod", "namespace": namespace}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": copy.deepcopy(template["spec"])}


def restricted_namespaces(run: ProgramRun) -> set[str]:
    return {
        obj["metadata"]["name"]
        for _, obj in rendered_objects(run)
        if obj["kind"] == "Namespace" and obj["metadata"].get("labels", {}).get(ENFORCE) == "restricted"
    }


def workload_with_a_volume(run: ProgramRun, namespaces: set[str] | None = None) -> tuple[str, dict[str, Any]]:
    """The first rendered workload (in one of `namespaces`) whose first container mounts a volume."""
    for name, obj in rendered_objects(run):
        if obj["kind"] not in WORKLOADS:
            continue
        if namespaces is not None and obj["metadata"].get("namespace") not in namespaces:
            continue
        if obj["spec"]["template"]["spec"]["containers"][0].get("volumeMounts"):
            return name, copy.deepcopy(obj)
    raise AssertionError(f"no rendered workload with a volume mount in {namespaces}")


def privilege_escalating_pod(run: ProgramRun, name: str) -> dict[str, Any]:
    """A rendered pod in a `restricted` namespace, changed to allow privilege escalation."""
    _, workload = workload_with_a_volume(run, restricted_namespaces(run))
    pod = pod_from_template(name, workload["metadata"]["namespace"], workload["spec"]["template"])
    pod["metadata"]["name"] = name
    pod["spec"]["containers"][0].setdefault("securityContext", {})["allowPrivilegeEscalation"] = True
    return pod
