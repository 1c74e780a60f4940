"""A namespace with the house rules: Pod Security level, labels, and a default-deny NetworkPolicy."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..naming import base_labels

API_SERVER_PORT = 6443


def system_namespace(
    name: str,
    namespace: str,
    *,
    pod_security: str,
    component: str,
    opts: pulumi.ResourceOptions,
    https_egress: bool = False,
) -> k8s.core.v1.Namespace:
    """Namespace whose pods may only talk to the Kubernetes API and cluster DNS.

    `pod_security` is the enforced Pod Security level; callers that need more than `restricted`
    say why where they call this. `https_egress` also lets pods reach HTTPS anywhere (a cloud API).
    """
    extra = (
        [
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=443)]
            )
        ]
        if https_egress
        else []
    )
    ns = k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace,
            labels={
                **base_labels(component),
                "pod-security.kubernetes.io/enforce": pod_security,
                "pod-security.kubernetes.io/warn": pod_security,
            },
        ),
        opts=opts,
    )
    k8s.networking.v1.NetworkPolicy(
        f"{name}-default-deny",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name="default-deny", namespace=namespace, labels=base_labels(component)
        ),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(),
            policy_types=["Ingress", "Egress"],
            egress=[
                # The API server listens on the servers' addresses (host network), so no pod selector
                # can name it; the port is the narrowest rule that still works on every node.
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=API_SERVER_PORT)]
                ),
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={"kubernetes.io/metadata.name": "kube-system"}
                            ),
                            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
                        )
                    ],
                    ports=[
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=53),
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=53),
                    ],
                ),
                *extra,
            ],
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[ns])),
    )
    return ns
