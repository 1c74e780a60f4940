"""`ClusterAddons`: Hetzner's cloud controller and CSI driver, the teardown of what they make in Hetzner,
and the Kubernetes provider every workload uses, which waits for that teardown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..config import StackConfig, StackSecrets
from ..k3s import K3sCluster
from ..network import Network
from .hetzner import install_hetzner_addons
from .teardown import CloudObjectsTeardown

TEARDOWN_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class ClusterAddonsArgs:
    cluster: K3sCluster
    network: Network
    hcloud_token: pulumi.Output[str]
    location: str
    protected: bool
    after: Sequence[pulumi.Resource] = ()
    """What else runs on the cluster for the cluster's sake (day 2): destroyed after the teardown too."""

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        secrets: StackSecrets,
        cluster: K3sCluster,
        network: Network,
        after: Sequence[pulumi.Resource] = (),
    ) -> ClusterAddonsArgs:
        return cls(cluster, network, secrets.hcloud_token, config.location, config.protected, after)


class ClusterAddons(pulumi.ComponentResource):
    """Hetzner's cloud controller (load balancers, node lifecycle) and CSI driver (volumes), the teardown
    that removes their load balancers and volumes before they go, and the Kubernetes provider every
    workload uses.

    `provider` depends on the teardown, which depends on the add-ons and `after`. `pulumi destroy` then
    runs in this order: workloads, the teardown (removes load balancers and volumes), add-ons and day 2,
    servers. These resources were children of `K3sCluster` before #19 and keep their state through an
    alias to it.
    """

    provider: k8s.Provider
    addons: list[pulumi.Resource]
    """The hcloud Secret and the CCM and CSI releases: what needs volumes waits for these."""

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:ClusterAddons", name, None, opts)
        cluster = args.cluster
        moved = pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=cluster)])
        self.addons = install_hetzner_addons(
            name,
            hcloud_token=args.hcloud_token,
            network_id=args.network.network_id,
            cluster_cidr=cluster.cluster_cidr,
            location=args.location,
            opts=pulumi.ResourceOptions.merge(
                moved, pulumi.ResourceOptions(provider=cluster.addons_provider)
            ),
        )
        self.teardown = CloudObjectsTeardown(
            f"{name}-cloud-objects-teardown",
            cluster.admin_api,
            timeout_seconds=TEARDOWN_TIMEOUT_SECONDS,
            opts=pulumi.ResourceOptions.merge(
                moved, pulumi.ResourceOptions(depends_on=[*self.addons, *args.after], protect=args.protected)
            ),
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=cluster.kubeconfig,
            cluster_identifier=cluster.cluster_identity,
            opts=pulumi.ResourceOptions.merge(moved, pulumi.ResourceOptions(depends_on=[self.teardown])),
        )
        self.register_outputs({})
