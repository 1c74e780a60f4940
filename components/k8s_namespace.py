"""Namespaces the platform owns: Pod Security level, default-deny NetworkPolicy and the allow rules.

Every namespace starts closed in both directions except DNS; components then open exactly the paths
their pods need with `allow_ingress` and `allow_egress_except_metadata`. k3s enforces NetworkPolicies
with its embedded kube-router controller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from .naming import Component, base_labels

PodSecurity = Literal["restricted", "baseline", "privileged"]

METADATA_SERVICE = "169.254.169.254/32"
"""Hetzner's metadata service serves the node's user-data (cluster secrets): no pod may reach it."""

TRAEFIK_NAMESPACE = "kube-system"
TRAEFIK_PODS = {"app.kubernetes.io/name": "traefik"}
"""Labels of k3s's Traefik pods in kube-system (set by its chart)."""

PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus"}
"""Labels the Prometheus Operator puts on Prometheus pods."""

MONITORING_NAMESPACE = "monitoring"
"""Where Prometheus runs; namespaces it scrapes admit it with `allow_ingress(from_namespace=...)`."""


def _selector(labels: Mapping[str, str] | None) -> k8s.meta.v1.LabelSelectorArgs:
    """A label selector; an empty one selects every pod (or namespace)."""
    return k8s.meta.v1.LabelSelectorArgs(match_labels=dict(labels) if labels else None)


def _in_namespace(name: str) -> k8s.meta.v1.LabelSelectorArgs:
    return _selector({"kubernetes.io/metadata.name": name})


def _policy(
    resource_name: str,
    *,
    namespace: pulumi.Input[str],
    name: str,
    component: Component,
    spec: k8s.networking.v1.NetworkPolicySpecArgs,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=base_labels(component)),
        spec=spec,
        opts=opts,
    )


class PlatformNamespace(k8s.core.v1.Namespace):
    """A Namespace whose name is also known as plain text (`name`), so whoever is handed the namespace
    names it in selectors and resource names without a second, separately passed string that could drift.
    """

    def __init__(
        self, resource_name: str, name: str, labels: Mapping[str, str], opts: pulumi.ResourceOptions
    ) -> None:
        super().__init__(
            resource_name, metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels=dict(labels)), opts=opts
        )
        self.name = name


def platform_namespace(
    resource_name: str,
    name: str,
    component: Component,
    opts: pulumi.ResourceOptions,
    pod_security: PodSecurity = "restricted",
) -> PlatformNamespace:
    """A namespace with a Pod Security level, default-deny in and out, and DNS allowed.

    `pod_security` other than `restricted` needs a reason at the call site; audit and warn stay on
    `restricted` so every deviation shows up in the audit log.
    """
    labels = {
        **base_labels(component),
        "pod-security.kubernetes.io/enforce": pod_security,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }
    namespace = PlatformNamespace(resource_name, name, labels, opts)
    inside = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace]))
    _policy(
        f"{resource_name}-default-deny",
        namespace=name,
        name="default-deny",
        component=component,
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=_selector(None), policy_types=["Ingress", "Egress"]
        ),
        opts=inside,
    )
    _policy(
        f"{resource_name}-allow-dns",
        namespace=name,
        name="allow-dns",
        component=component,
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=_selector(None),
            policy_types=["Egress"],
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=_in_namespace("kube-system"),
                            pod_selector=_selector({"k8s-app": "kube-dns"}),
                        )
                    ],
                    ports=[
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=53),
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=53),
                    ],
                )
            ],
        ),
        opts=inside,
    )
    return namespace


def allow_ingress(
    resource_name: str,
    namespace: k8s.core.v1.Namespace,
    name: str,
    component: Component,
    *,
    to_pods: Mapping[str, str],
    ports: Sequence[int],
    from_namespace: str | None = None,
    from_pods: Mapping[str, str] | None = None,
    from_cidr: str | None = None,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Open `ports` on the pods matching `to_pods` (all when empty) to pods `from_pods` in `from_namespace`.

    `from_namespace=None` means the same namespace; `from_pods=None` means every pod there.
    `from_cidr` admits addresses instead (the API server calling a webhook comes from the host network).
    """
    if from_cidr:
        peer = k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=from_cidr))
    elif from_namespace:
        peer = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=_in_namespace(from_namespace),
            pod_selector=_selector(from_pods) if from_pods else None,
        )
    else:
        peer = k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=_selector(from_pods))
    return _policy(
        resource_name,
        namespace=namespace.metadata.name,
        name=name,
        component=component,
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=_selector(to_pods),
            policy_types=["Ingress"],
            ingress=[
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[peer],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=p) for p in ports],
                )
            ],
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
    )


def allow_egress_except_metadata(
    resource_name: str,
    namespace: k8s.core.v1.Namespace,
    component: Component,
    *,
    pods: Mapping[str, str] | None = None,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Let pods (all when `pods` is None) open connections anywhere except the metadata service."""
    return _policy(
        resource_name,
        namespace=namespace.metadata.name,
        name="allow-egress-except-metadata",
        component=component,
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=_selector(pods),
            policy_types=["Egress"],
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            ip_block=k8s.networking.v1.IPBlockArgs(
                                cidr="0.0.0.0/0", except_=[METADATA_SERVICE]
                            )
                        ),
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            ip_block=k8s.networking.v1.IPBlockArgs(cidr="::/0")
                        ),
                    ]
                )
            ],
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace])),
    )


# Building blocks for a component whose policies combine several rules (self-hosted Supabase).


def pods_peer(
    labels: Mapping[str, str], namespace: str | None = None
) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    """Pods with `labels` in `namespace` (None: the policy's own namespace)."""
    if namespace is None:
        return k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=_selector(labels))
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=_in_namespace(namespace), pod_selector=_selector(labels)
    )


def addresses_peer(
    cidr: pulumi.Input[str], except_: Sequence[str] | None = None
) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    """Addresses, not pods (an ipBlock): a server outside the cluster, or the internet."""
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr, except_=list(except_) if except_ else None)
    )


def tcp_ports(ports: Sequence[pulumi.Input[int]]) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port) for port in ports]


def pod_policy(
    resource_name: str,
    *,
    namespace: pulumi.Input[str],
    name: str,
    component: Component,
    pods: Mapping[str, str],
    ingress: Sequence[k8s.networking.v1.NetworkPolicyIngressRuleArgs],
    egress: Sequence[k8s.networking.v1.NetworkPolicyEgressRuleArgs],
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Everything the pods matching `pods` may receive and send (both directions closed otherwise)."""
    return _policy(
        resource_name,
        namespace=namespace,
        name=name,
        component=component,
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=_selector(pods),
            policy_types=["Ingress", "Egress"],
            ingress=list(ingress),
            egress=list(egress),
        ),
        opts=opts,
    )
