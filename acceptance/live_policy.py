"""The policy pack's verdict on the objects the cluster really runs: every Kubernetes object of the
kinds the pack judges is read back from the API and analysed by the same pack `pulumi preview` runs,
so a change made with kubectl, or a default a controller filled in, is judged too."""

from __future__ import annotations

import urllib.error
from typing import Any

from offline.policy.gate import analyze
from offline.policy.pack import PackProject, PolicyPackProcess, StackContext
from offline.program import PROJECT_DIR, Registration

from .gates import Context, GateResult

LIVE_KINDS = (
    ("v1", "namespaces", "Namespace"),
    ("v1", "services", "Service"),
    ("v1", "serviceaccounts", "ServiceAccount"),
    ("apps/v1", "deployments", "Deployment"),
    ("apps/v1", "statefulsets", "StatefulSet"),
    ("apps/v1", "daemonsets", "DaemonSet"),
    ("batch/v1", "cronjobs", "CronJob"),
    ("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy"),
    ("networking.k8s.io/v1", "ingresses", "Ingress"),
    ("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget"),
    ("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    ("cert-manager.io/v1", "clusterissuers", "ClusterIssuer"),
    ("cert-manager.io/v1", "certificates", "Certificate"),
    ("traefik.io/v1alpha1", "middlewares", "Middleware"),
    ("traefik.io/v1alpha1", "ingressroutes", "IngressRoute"),
)
"""(apiVersion, plural, kind) of what the pack's Kubernetes policies judge."""
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default")
"""Kubernetes' own: the program creates nothing there that the pack judges (the charts it installs
there are judged through their values before install, as in the preview)."""


def _path(api_version: str, plural: str) -> str:
    return f"/api/v1/{plural}" if api_version == "v1" else f"/apis/{api_version}/{plural}"


def _as_registration(ctx: Context, api_version: str, kind: str, obj: dict[str, Any]) -> Registration:
    metadata = obj.get("metadata", {})
    namespace, name = metadata.get("namespace"), metadata["name"]
    group, _, version = api_version.rpartition("/")
    token = f"kubernetes:{group or 'core'}/{version}:{kind}"
    qualified = f"{namespace}/{name}" if namespace else name
    kept = {
        key: value for key, value in metadata.items() if key in ("name", "namespace", "labels", "annotations")
    }
    inputs = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": kept,
        **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")},
    }
    return Registration(
        urn=f"urn:pulumi:{ctx.stack}::{ctx.project}::{token}::{qualified}",
        type=token,
        name=qualified,
        parent="",
        custom=True,
        provider="",
        dependencies=[],
        inputs=inputs,
        protect=False,
        ignore_changes=[],
        delete_before_replace=False,
        additional_secret_outputs=[],
        id=qualified,
        outputs=inputs,
    )


def live_objects(ctx: Context) -> list[Registration]:
    kube = ctx.need_kube()
    found = []
    for api_version, plural, kind in LIVE_KINDS:
        try:
            objects = kube.items(_path(api_version, plural))
        except urllib.error.HTTPError as error:
            if error.code == 404:
                continue  # that kind's CRD is not installed: nothing of it runs
            raise
        for obj in objects:
            if obj.get("metadata", {}).get("namespace") in SYSTEM_NAMESPACES or (
                kind == "Namespace" and obj["metadata"]["name"] in SYSTEM_NAMESPACES
            ):
                continue
            found.append(_as_registration(ctx, api_version, kind, obj))
    return found


def policy_verdict(ctx: Context) -> list[GateResult]:
    objects = live_objects(ctx)
    pack_dir = PROJECT_DIR / "policies"
    config = pack_dir / f"config.{ctx.stack}.json"
    context = StackContext("organization", ctx.project, ctx.stack, ctx.settings_config)
    pack = PolicyPackProcess(PackProject.load(pack_dir), context)
    pack.start()
    try:
        pack.connect()
        report, _ = analyze(pack, objects, config if config.is_file() else None)
    finally:
        pack.stop()
    mandatory = sorted({f"{v.policy} on {v.resource_name}" for v in report.mandatory})
    measured = f"{len(mandatory)} mandatory violations in {len(objects)} live objects" + (
        ": " + "; ".join(mandatory[:5]) + (" …" if len(mandatory) > 5 else "") if mandatory else ""
    )
    return [
        GateResult(
            "policy pack on the live objects",
            measured,
            "0 mandatory violations",
            not mandatory,
            "a change made outside Pulumi (kubectl edit), or a policy the preview could not see yet: "
            "docs/policies.md says how to comply",
        )
    ]
