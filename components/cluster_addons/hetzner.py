"""Hetzner's cloud controller manager and CSI driver, installed through the cluster's own provider."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .. import release_timeouts, versions
from ..naming import Component, base_labels

HCLOUD_SECRET = "hcloud"
"""Secret both charts read by default: `token` (API token) and `network` (private network id)."""

CSI_NODE_PLUGIN = ("hcloud-csi-node", "hcloud-csi-driver")
"""(DaemonSet, container) of the CSI node plugin in the hcloud-csi chart."""

METADATA_GID = 2254
"""Primary group of the CSI node plugin's pod: the node's metadata rules let root sockets of this group
through (components/k3s/files/platform-block-metadata), and no other pod runs with it."""

METADATA_CLIENTS: dict[tuple[str, str], str] = {
    CSI_NODE_PLUGIN: (
        "csi-driver reads its server id only from the metadata service (cmd/main.go, `InstanceID`); it runs "
        "privileged as root on the host network, in METADATA_GID, which the metadata rules let through"
    ),
    **{
        (CSI_NODE_PLUGIN[0], sidecar): (
            "Kubernetes CSI sidecar in the node plugin's pod: the chart sets the group for the whole pod; "
            "the sidecar itself never calls the metadata service"
        )
        for sidecar in ("csi-node-driver-registrar", "liveness-probe")
    },
}
"""(workload, container) that must reach the metadata service, each with the reason. Every other
workload is kept away from it; tests/contracts/test_metadata_access.py holds every rendered workload to
this list."""


def csi_values(location: str) -> dict[str, Any]:
    """hcloud-csi: the location given to both halves, so only the node plugin's server id needs the
    metadata service, which it reads from the host network."""
    location_env = {"name": "HCLOUD_VOLUME_DEFAULT_LOCATION", "value": location}
    return {
        "controller": {"hcloudVolumeDefaultLocation": location},
        "node": {
            "hostNetwork": True,
            "podSecurityContext": {"runAsGroup": METADATA_GID},
            "extraEnvVars": [location_env],
        },
        # Same name as the chart's own class (so this replaces it), kept on delete.
        "storageClasses": [
            {"name": "hcloud-volumes", "defaultStorageClass": True, "reclaimPolicy": "Retain"}
        ],
    }


def install_hetzner_addons(
    name: str,
    *,
    hcloud_token: pulumi.Output[str],
    network_id: pulumi.Output[int],
    cluster_cidr: str,
    location: str,
    opts: pulumi.ResourceOptions,
) -> list[pulumi.Resource]:
    """CCM (node lifecycle, load balancers) and CSI (volumes, default class).

    Pods cannot reach the metadata service (platform-block-metadata), so neither chart may depend on it
    except where upstream offers no other way; `METADATA_CLIENTS` lists that one exception.
    """
    secret = k8s.core.v1.Secret(
        f"{name}-hcloud",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=HCLOUD_SECRET, namespace="kube-system", labels=base_labels(Component.K3S_CLUSTER)
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
        timeout=release_timeouts.SMALL,
        values={
            "networking": {"enabled": True, "clusterCIDR": cluster_cidr},
            "env": {
                "HCLOUD_LOAD_BALANCERS_LOCATION": {"value": location},
                "HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP": {"value": "true"},
                "HCLOUD_LOAD_BALANCERS_DISABLE_PRIVATE_INGRESS": {"value": "true"},
                # flannel (VXLAN or WireGuard) carries pod traffic itself; private-network routes are for
                # CNIs with native routing (CCM docs/explanation/private-networks.md), and a failed route
                # would only mark a node NetworkUnavailable.
                "HCLOUD_NETWORK_ROUTES_ENABLED": {"value": "false"},
                # The network check reads the metadata service, which the CCM (non-root, uid 65532) cannot
                # reach; every node is attached to the network by the program itself.
                "HCLOUD_NETWORK_DISABLE_ATTACHED_CHECK": {"value": "true"},
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
        timeout=release_timeouts.SMALL,
        values=csi_values(location),
        opts=pulumi.ResourceOptions.merge(after_secret, pulumi.ResourceOptions(depends_on=[ccm])),
    )
    return [secret, ccm, csi]
