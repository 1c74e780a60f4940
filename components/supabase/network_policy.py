"""NetworkPolicies of the supabase namespace, on top of its default deny (k8s_namespace.py): one per service.

Only the gateway accepts traffic from outside the namespace (from the ingress controller); every
other service accepts exactly the in-namespace callers that upstream's gateway config and compose
wiring give it. Egress is limited to DNS, the Postgres server, the sibling services a service calls,
and the outside endpoints it needs (SMTP and OAuth for auth, S3 for storage and imgproxy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.networking import v1 as net

from ..k8s_namespace import (
    METADATA_SERVICE,
    TRAEFIK_NAMESPACE,
    TRAEFIK_PODS,
    addresses_peer,
    pod_policy,
    pods_peer,
    tcp_ports,
)
from .spec import ServiceSpec
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


def _service(name: str) -> net.NetworkPolicyPeerArgs:
    return pods_peer(selector_labels(name))


def _to_database(database: DatabasePeer) -> net.NetworkPolicyEgressRuleArgs:
    return net.NetworkPolicyEgressRuleArgs(
        to=[addresses_peer(database.cidr)], ports=tcp_ports([database.port])
    )


def service_policy(
    prefix: str,
    spec: ServiceSpec,
    *,
    specs: Sequence[ServiceSpec],
    namespace: pulumi.Input[str],
    database: DatabasePeer,
    external: ExternalEgress | None,
    opts: pulumi.ResourceOptions,
) -> net.NetworkPolicy:
    """Ingress and egress of one service; callers and callees are limited to services that exist."""
    by_name = {s.name: s for s in specs}
    sources = [_service(name) for name in INGRESS_FROM[spec.name] if name in by_name]
    if spec.name == "kong":
        sources.append(pods_peer(TRAEFIK_PODS, TRAEFIK_NAMESPACE))
    ingress = [net.NetworkPolicyIngressRuleArgs(from_=sources, ports=tcp_ports([spec.port]))]

    egress = [
        net.NetworkPolicyEgressRuleArgs(to=[_service(callee.name)], ports=tcp_ports([callee.port]))
        for callee in specs
        if spec.name in INGRESS_FROM[callee.name]
    ]
    if spec.uses_database:
        egress.append(_to_database(database))
    if external is not None:
        targets = [addresses_peer("0.0.0.0/0", [METADATA_SERVICE])]
        if external.in_cluster_too:
            targets.append(net.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs()))
        egress.append(net.NetworkPolicyEgressRuleArgs(to=targets, ports=tcp_ports(external.ports)))

    return pod_policy(
        f"{prefix}-{spec.name}",
        namespace=namespace,
        name=spec.name,
        component=COMPONENT,
        pods=selector_labels(spec.name),
        ingress=ingress if sources else [],
        egress=egress,
        opts=opts,
    )


def job_policy(
    prefix: str,
    *,
    job_labels: Mapping[str, str],
    namespace: pulumi.Input[str],
    database: DatabasePeer,
    opts: pulumi.ResourceOptions,
) -> net.NetworkPolicy:
    """The bootstrap Job talks to the Postgres server and nothing else."""
    return pod_policy(
        f"{prefix}-bootstrap",
        namespace=namespace,
        name="bootstrap",
        component=COMPONENT,
        pods=job_labels,
        ingress=[],
        egress=[_to_database(database)],
        opts=opts,
    )
