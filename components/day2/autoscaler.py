"""The optional autoscaled node pool: the Hetzner cluster-autoscaler and what its nodes boot with.

Autoscaled nodes boot the same agent cloud-init as the fixed pools, with exactly one secret in it:
the CA-pinned agent token (`K10<hash>::node:<secret>`), which lets a machine join as an agent and
nothing more. No server token, no CA key, no Hetzner token goes to a node. The Hetzner token the
autoscaler itself needs, and the cloud-init (because of the agent token), live in one Kubernetes
Secret that reaches the autoscaler's environment only.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_hcloud as hcloud
import pulumi_kubernetes as k8s

from .. import release_timeouts, versions
from ..config.day2 import AutoscalerConfig
from ..k8s_namespace import allow_egress_except_metadata, platform_namespace
from ..naming import Component, base_labels

NAMESPACE = "cluster-autoscaler"
SECRET = "cluster-autoscaler-hcloud"
_COMPONENT = Component.AUTOSCALER


def node_group_name(pool: str) -> str:
    """The autoscaler's node group: the stack is part of it, so servers of two stacks never mix."""
    return f"{pulumi.get_stack()}-{pool}"


def _taint(taint: str) -> dict[str, str]:
    key_value, effect = taint.rsplit(":", 1)
    key, _, value = key_value.partition("=")
    return {"key": key, "value": value, "effect": effect}


def cluster_config(
    pool: AutoscalerConfig, *, image: str, user_data: str, subnet: str, labels: dict[str, str]
) -> str:
    """HCLOUD_CLUSTER_CONFIG: base64 of the JSON the Hetzner provider reads (its README, 1.35)."""
    document = {
        "imagesForArch": {"amd64": image, "arm64": image},
        "nodeConfigs": {
            node_group_name(pool.name): {
                "cloudInit": user_data,
                "labels": labels,
                "taints": [_taint(t) for t in pool.taints],
                "subnetIPRange": subnet,
            }
        },
    }
    return base64.b64encode(json.dumps(document, sort_keys=True).encode()).decode()


@dataclass(frozen=True)
class AutoscalerPlacement:
    """Where autoscaled servers go and what they get attached to."""

    location: str
    network_id: pulumi.Output[int]
    firewall_id: pulumi.Output[int]
    ssh_key_id: pulumi.Output[str]
    subnet: str


def chart_values(pool: AutoscalerConfig, placement: AutoscalerPlacement) -> pulumi.Output[dict[str, Any]]:
    """Values of the cluster-autoscaler chart; secrets come from SECRET, never from values."""
    return pulumi.Output.all(placement.network_id, placement.firewall_id, placement.ssh_key_id).apply(
        lambda ids: {
            "cloudProvider": "hetzner",
            "autoscalingGroups": [
                {
                    "name": node_group_name(pool.name),
                    "minSize": pool.min_nodes,
                    "maxSize": pool.max_nodes,
                    "instanceType": pool.server_type,
                    "region": placement.location,
                }
            ],
            "image": {"tag": versions.CLUSTER_AUTOSCALER_IMAGE_TAG},
            "extraEnv": {
                "HCLOUD_NETWORK": str(ids[0]),
                "HCLOUD_FIREWALL": str(ids[1]),
                "HCLOUD_SSH_KEY": str(ids[2]),
                "HCLOUD_PUBLIC_IPV4": "true",
                "HCLOUD_PUBLIC_IPV6": "true",
            },
            "extraEnvSecrets": {
                "HCLOUD_TOKEN": {"name": SECRET, "key": "token"},
                "HCLOUD_CLUSTER_CONFIG": {"name": SECRET, "key": "cluster-config"},
            },
            "extraArgs": {
                "scale-down-unneeded-time": "10m",
                "skip-nodes-with-local-storage": False,
                "balance-similar-node-groups": False,
            },
            "nodeSelector": {"node-role.kubernetes.io/control-plane": "true"},
            "tolerations": [
                {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
            ],
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "300Mi"}},
            "podLabels": base_labels(_COMPONENT),
        }
    )


def install_autoscaler(
    name: str,
    *,
    pool: AutoscalerConfig,
    placement: AutoscalerPlacement,
    cluster_config_b64: pulumi.Output[str],
    hcloud_token: pulumi.Output[str],
    subnet: hcloud.NetworkSubnet,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """The Secret and the chart; the chart waits for `subnet` (the Network's), where nodes go."""
    namespace = platform_namespace(f"{name}-autoscaler", NAMESPACE, _COMPONENT, opts)
    # The Kubernetes API (host network addresses) and the Hetzner Cloud API.
    allow_egress_except_metadata(f"{name}-autoscaler-egress", namespace, _COMPONENT, opts=opts)
    in_namespace = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace]))
    secret = k8s.core.v1.Secret(
        f"{name}-autoscaler-hcloud",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=SECRET, namespace=NAMESPACE, labels=base_labels(_COMPONENT)),
        type="Opaque",
        string_data={"token": hcloud_token, "cluster-config": cluster_config_b64},
        opts=in_namespace,
    )
    release = k8s.helm.v3.Release(
        f"{name}-cluster-autoscaler",
        name="cluster-autoscaler",
        chart="cluster-autoscaler",
        version=versions.CLUSTER_AUTOSCALER_CHART_VERSION,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.AUTOSCALER_HELM_REPO),
        namespace=NAMESPACE,
        timeout=release_timeouts.SMALL,
        values=chart_values(pool, placement),
        opts=pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=[secret, subnet])),
    )
    return [namespace, secret, release]
