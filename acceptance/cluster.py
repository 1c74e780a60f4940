"""Phase 1: the cluster itself, read back from the Kubernetes API."""

from __future__ import annotations

from .gates import Context, GateResult


def _ready(node: dict) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def nodes_ready(ctx: Context) -> list[GateResult]:
    nodes = ctx.need_kube().items("/api/v1/nodes")
    not_ready = sorted(n["metadata"]["name"] for n in nodes if not _ready(n))
    expected = ctx.config.cluster.control_plane.count + sum(p.count for p in ctx.config.cluster.agent_pools)
    measured = f"{len(nodes) - len(not_ready)}/{len(nodes)} Ready" + (
        f" (not: {', '.join(not_ready)})" if not_ready else ""
    )
    passed = not not_ready and len(nodes) >= expected
    return [
        GateResult(
            "every node Ready",
            measured,
            f"all Ready, at least {expected}",
            passed,
            "kubectl describe node NAME; a missing node: check its server's console in Hetzner",
        )
    ]


def volumes_bound(ctx: Context) -> list[GateResult]:
    claims = ctx.need_kube().items("/api/v1/persistentvolumeclaims")
    pending = sorted(
        f"{c['metadata']['namespace']}/{c['metadata']['name']}"
        for c in claims
        if c.get("status", {}).get("phase") != "Bound"
    )
    measured = f"{len(claims) - len(pending)}/{len(claims)} Bound" + (
        f" (not: {', '.join(pending)})" if pending else ""
    )
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
    failing = sorted(
        f"{c['metadata']['namespace']}/{c['metadata']['name']}"
        for c in certificates
        if not any(
            x["type"] == "Ready" and x["status"] == "True" for x in c.get("status", {}).get("conditions", [])
        )
    )
    measured = f"{len(certificates) - len(failing)}/{len(certificates)} Ready" + (
        f" (not: {', '.join(failing)})" if failing else ""
    )
    return [
        GateResult(
            "every Certificate Ready",
            measured,
            "all Ready",
            not failing,
            "kubectl describe certificate; then the Order and Challenge cert-manager made for it",
        )
    ]


def no_crash_loops(ctx: Context) -> list[GateResult]:
    pods = ctx.need_kube().items("/api/v1/pods")
    looping = sorted(
        f"{p['metadata']['namespace']}/{p['metadata']['name']}"
        for p in pods
        for status in p.get("status", {}).get("containerStatuses", []) or []
        if (status.get("state", {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff"
    )
    measured = f"{len(looping)} of {len(pods)} pods" + (f": {', '.join(looping)}" if looping else "")
    return [
        GateResult(
            "no pod crash-looping",
            measured,
            "0",
            not looping,
            "kubectl logs --previous POD: the last run's output says why it exits",
        )
    ]
