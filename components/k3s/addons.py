"""Hetzner's cloud controller manager and CSI driver, installed through the cluster's own provider."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from .. import versions
from ..naming import base_labels

HCLOUD_SECRET = "hcloud"
"""Secret both charts read by default: `token` (API token) and `network` (private network id)."""


def install_hetzner_addons(
    name: str,
    *,
    hcloud_token: pulumi.Output[str],
    network_id: pulumi.Output[int],
    cluster_cidr: str,
    location: str,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """CCM (node lifecycle, private-network routes, load balancers) and CSI (volumes, default class)."""
    secret = k8s.core.v1.Secret(
        f"{name}-hcloud",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=HCLOUD_SECRET, namespace="kube-system", labels=base_labels("k3s-cluster")
        ),
        type="Opaque",
        string_data={"token": hcloud_token, "network": network_id.apply(str)},
        opts=opts,
    )
    after_secret = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[secret]))
    ccm = k8s.helm.v3.Release(
        f"{name}-hcloud-ccm",
        name="hcloud-ccm",
        chart="hcloud-cloud-controller-manager",
        version=versions.HCLOUD_CCM_CHART_VERSION,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.HETZNER_HELM_REPO),
        namespace="kube-system",
        values={
            "networking": {"enabled": True, "clusterCIDR": cluster_cidr},
            "env": {
                "HCLOUD_LOAD_BALANCERS_LOCATION": {"value": location},
                "HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP": {"value": "true"},
                "HCLOUD_LOAD_BALANCERS_DISABLE_PRIVATE_INGRESS": {"value": "true"},
            },
        },
        opts=after_secret,
    )
    csi = k8s.helm.v3.Release(
        f"{name}-hcloud-csi",
        name="hcloud-csi",
        chart="hcloud-csi",
        version=versions.HCLOUD_CSI_CHART_VERSION,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.HETZNER_HELM_REPO),
        namespace="kube-system",
        values={
            "storageClasses": [
                {"name": "hcloud-volumes", "defaultStorageClass": True, "reclaimPolicy": "Retain"}
            ]
        },
        opts=pulumi.ResourceOptions.merge(after_secret, pulumi.ResourceOptions(depends_on=[ccm])),
    )
    return [secret, ccm, csi]
