"""NetworkPolicies of the supabase namespace, on top of its default deny (k8s_namespace.py): one per service.

Only the gateway accepts traffic from outside the namespace (from the ingress controller); every
other service accepts exactly the in-namespace callers that upstream's gateway config and compose
wiring give it. Egress is limited to DNS, the Postgres server, the sibling services a service calls,
and the outside endpoints it needs (SMTP and OAuth for auth, S3 for storage and imgproxy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..k8s_namespace import METADATA_SERVICE
from ..naming import base_labels
from .services import ServiceSpec
from .workload import COMPONENT, selector_labels

INGRESS_FROM: Mapping[str, tuple[str, ...]] = {
    "kong": ("studio", "functions"),  # plus the ingress controller, added separately
    "auth": ("kong",),
    "rest": ("kong", "storage"),
    "realtime": ("kong",),
    "storage": ("kong",),
    "imgproxy": ("storage",),
    "meta": ("kong", "studio"),
    "studio": ("kong",),
    "functions": ("kong",),
}
"""Which sibling services may call each service."""


@dataclass(frozen=True)
class ExternalEgress:
    """Outside endpoints a service may reach: ports on any address except the metadata service."""

    ports: Sequence[pulumi.Input[int]]
    in_cluster_too: bool = False
    """Also allow the ports to pods in any namespace (an in-cluster object store)."""


@dataclass(frozen=True)
class DatabasePeer:
    """The Postgres server as a NetworkPolicy peer: its address as a /32 and its port."""

    cidr: pulumi.Input[str]
    port: pulumi.Input[int]


@dataclass(frozen=True)
class IngressController:
    namespace: str
    pod_labels: Mapping[str, str]


def _peer(service: str) -> dict[str, Any]:
    return {"pod_selector": {"match_labels": selector_labels(service)}}


def _policy(
    resource_name: str,
    name: str,
    namespace: pulumi.Input[str],
    spec: dict[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata={"name": name, "namespace": namespace, "labels": base_labels(COMPONENT)},
        spec=spec,
        opts=opts,
    )


def service_policy(
    prefix: str,
    spec: ServiceSpec,
    *,
    specs: Sequence[ServiceSpec],
    namespace: pulumi.Input[str],
    database: DatabasePeer,
    external: ExternalEgress | None,
    ingress_controller: IngressController,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Ingress and egress of one service; callers and callees are limited to services that exist."""
    by_name = {s.name: s for s in specs}
    callers = [name for name in INGRESS_FROM[spec.name] if name in by_name]
    sources = [_peer(name) for name in callers]
    if spec.name == "kong":
        sources.append(
            {
                "namespace_selector": {
                    "match_labels": {"kubernetes.io/metadata.name": ingress_controller.namespace}
                },
                "pod_selector": {"match_labels": dict(ingress_controller.pod_labels)},
            }
        )
    ingress = [{"from": sources, "ports": [{"protocol": "TCP", "port": spec.port}]}] if sources else []

    egress: list[dict[str, Any]] = []
    for callee in specs:
        if spec.name in INGRESS_FROM[callee.name]:
            egress.append({"to": [_peer(callee.name)], "ports": [{"protocol": "TCP", "port": callee.port}]})
    if spec.uses_database:
        egress.append(
            {
                "to": [{"ip_block": {"cidr": database.cidr}}],
                "ports": [{"protocol": "TCP", "port": database.port}],
            }
        )
    if external is not None:
        targets: list[dict[str, Any]] = [{"ip_block": {"cidr": "0.0.0.0/0", "except": [METADATA_SERVICE]}}]
        if external.in_cluster_too:
            targets.append({"namespace_selector": {}})
        egress.append(
            {"to": targets, "ports": [{"protocol": "TCP", "port": port} for port in external.ports]}
        )

    return _policy(
        f"{prefix}-{spec.name}",
        spec.name,
        namespace,
        {
            "pod_selector": {"match_labels": selector_labels(spec.name)},
            "policy_types": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
        opts,
    )


def job_policy(
    prefix: str,
    *,
    job_labels: Mapping[str, str],
    namespace: pulumi.Input[str],
    database: DatabasePeer,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """The bootstrap Job talks to the Postgres server and nothing else."""
    return _policy(
        f"{prefix}-bootstrap",
        "bootstrap",
        namespace,
        {
            "pod_selector": {"match_labels": dict(job_labels)},
            "policy_types": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [
                {
                    "to": [{"ip_block": {"cidr": database.cidr}}],
                    "ports": [{"protocol": "TCP", "port": database.port}],
                }
            ],
        },
        opts,
    )
