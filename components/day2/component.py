"""`Day2`: what keeps a running cluster current and recoverable: k3s upgrades (system-upgrade-controller
and its Plans), OS reboots (kured), the off-site etcd snapshot Secret, and the optional autoscaled pool."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from ..config import ClusterConfig, StackConfig, StackSecrets
from ..config.secrets import S3Keys
from ..k3s import K3sCluster
from ..k3s.component import POOL_LABEL
from ..network import Network
from .autoscaler import AutoscalerPlacement, cluster_config, install_autoscaler
from .etcd_s3 import etcd_s3_secret
from .upgrades import install_upgrades


@dataclass(frozen=True)
class Day2Args:
    cluster: K3sCluster
    config: ClusterConfig
    location: str
    network: Network
    hcloud_token: pulumi.Output[str]
    etcd_s3_keys: S3Keys | None = None
    """(access key, secret key) of the off-site etcd snapshot bucket; needed when offsite is on."""
    autoscaler_hcloud_token: pulumi.Output[str] | None = None
    """Token for the cluster-autoscaler; hcloud_token when None."""

    @classmethod
    def from_config(
        cls, config: StackConfig, secrets: StackSecrets, cluster: K3sCluster, network: Network
    ) -> Day2Args:
        return cls(
            cluster,
            config.cluster,
            config.location,
            network,
            secrets.hcloud_token,
            etcd_s3_keys=secrets.etcd_s3_keys,
            autoscaler_hcloud_token=secrets.autoscaler_hcloud_token,
        )


class Day2(pulumi.ComponentResource):
    """Day 2 of the cluster: system-upgrade-controller with the k3s upgrade Plans, kured, the off-site etcd
    snapshot Secret, and the optional cluster-autoscaler.

    It runs on the cluster's `addons_provider`, so `pulumi destroy` removes it after the cloud teardown.
    These resources were children of `K3sCluster` before #19 and keep their state through an alias to it.
    """

    resources: list[pulumi.Resource]
    """Everything day 2 runs on the cluster, and the autoscaled nodes' subnet: what ClusterAddons'
    teardown is destroyed before."""

    def __init__(self, name: str, args: Day2Args, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Day2", name, None, opts)
        cluster = args.cluster
        on_cluster = pulumi.ResourceOptions(
            parent=self, provider=cluster.addons_provider, aliases=[pulumi.Alias(parent=cluster)]
        )
        plan = cluster.etcd_backup
        if plan.offsite and args.etcd_s3_keys is None:
            raise ValueError("off-site etcd snapshots need Day2Args.etcd_s3_keys")
        self.resources = []
        if plan.offsite and args.etcd_s3_keys is not None:
            self.resources.append(etcd_s3_secret(name, plan, *args.etcd_s3_keys, opts=on_cluster))
        self.resources += install_upgrades(
            name, k3s_version=args.config.k3s_version, maintenance=args.config.maintenance, opts=on_cluster
        )
        if args.config.autoscaler.enabled:
            self.resources += self._autoscaler(name, args, on_cluster)
        self.register_outputs({})

    @staticmethod
    def _autoscaler(name: str, args: Day2Args, on_cluster: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """The autoscaled pool: its nodes boot the agent user-data, with the agent token as only secret."""
        pool = args.config.autoscaler
        network = args.network
        subnet = network.autoscaler_subnet
        if subnet is None:
            raise ValueError("the autoscaled pool needs NetworkArgs.autoscaler_zone (its subnet)")
        labels = {POOL_LABEL: pool.name, **pool.labels}
        user_data = args.cluster.agent_user_data(labels, pool.taints)
        cidr = network.ip_plan.autoscaler_subnet
        config_b64: pulumi.Output[str] = pulumi.Output.secret(
            user_data.apply(
                lambda text: cluster_config(
                    pool, image=args.config.image, user_data=text, subnet=cidr, labels=labels
                )
            )
        )
        placement = AutoscalerPlacement(
            location=pool.resolved_location(args.location),
            network_id=network.network_id,
            firewall_id=network.agent_firewall_id,
            ssh_key_id=network.ssh_key_ids[0],
            subnet=cidr,
        )
        return [
            subnet,
            *install_autoscaler(
                name,
                pool=pool,
                placement=placement,
                cluster_config_b64=config_b64,
                hcloud_token=args.autoscaler_hcloud_token or args.hcloud_token,
                subnet=subnet,
                opts=on_cluster,
            ),
        ]
