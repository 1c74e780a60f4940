"""Phase 1: the cluster itself, read back from the Kubernetes API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .gates import Context, GateResult


def _ready_condition(obj: dict[str, Any]) -> bool:
    conditions = obj.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _qualified(obj: dict[str, Any]) -> str:
    metadata = obj["metadata"]
    return f"{metadata['namespace']}/{metadata['name']}" if metadata.get("namespace") else metadata["name"]


def _all_healthy(
    items: list[dict[str, Any]], healthy: Callable[[dict[str, Any]], bool], state: str
) -> tuple[str, list[str]]:
    """ "k/n <state>" and the names of the items that are not, sorted."""
    failing = sorted(_qualified(item) for item in items if not healthy(item))
    measured = f"{len(items) - len(failing)}/{len(items)} {state}"
    return measured + (f" (not: {', '.join(failing)})" if failing else ""), failing


def nodes_ready(ctx: Context) -> list[GateResult]:
    nodes = ctx.need_kube().items("/api/v1/nodes")
    measured, not_ready = _all_healthy(nodes, _ready_condition, "Ready")
    expected = ctx.config.cluster.control_plane.count + sum(p.count for p in ctx.config.cluster.agent_pools)
    return [
        GateResult(
            "every node Ready",
            measured,
            f"all Ready, at least {expected}",
            not not_ready and len(nodes) >= expected,
            "kubectl describe node NAME; a missing node: check its server's console in Hetzner",
        )
    ]


def volumes_bound(ctx: Context) -> list[GateResult]:
    claims = ctx.need_kube().items("/api/v1/persistentvolumeclaims")
    measured, pending = _all_healthy(claims, lambda c: c.get("status", {}).get("phase") == "Bound", "Bound")
    return [
        GateResult(
            "every PVC Bound",
            measured,
            "all Bound",
            not pending,
            "kubectl describe pvc; Pending usually means the CSI driver cannot attach (kube-system logs)",
        )
    ]


def certificates_ready(ctx: Context) -> list[GateResult]:
    certificates = ctx.need_kube().items("/apis/cert-manager.io/v1/certificates")
    measured, failing = _all_healthy(certificates, _ready_condition, "Ready")
    return [
        GateResult(
            "every Certificate Ready",
            measured,
            "all Ready",
            not failing,
            "kubectl describe certificate; then the Order and Challenge cert-manager made for it",
        )
    ]


def _not_crash_looping(pod: dict[str, Any]) -> bool:
    statuses = pod.get("status", {}).get("containerStatuses", []) or []
    return not any(
        (s.get("state", {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff" for s in statuses
    )


def no_crash_loops(ctx: Context) -> list[GateResult]:
    pods = ctx.need_kube().items("/api/v1/pods")
    measured, looping = _all_healthy(pods, _not_crash_looping, "pods not crash-looping")
    return [
        GateResult(
            "no pod crash-looping",
            measured,
            "all",
            not looping,
            "kubectl logs --previous POD: the last run's output says why it exits",
        )
    ]
