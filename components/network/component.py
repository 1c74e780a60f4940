"""`Network`: the private network, subnets, firewalls, placement groups and SSH keys."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud

from ..config import StackConfig
from ..config.catalog import NETWORK_ZONES
from ..naming import Component, base_labels, stack_labels
from .firewall_rules import control_plane_rules, host_rules
from .ip_plan import IpPlan
from .ssh_keys import server_ssh_keys

PLACEMENT_GROUP_LIMIT = 10
"""Hetzner allows at most ten servers in one spread placement group."""

FORMER_AUTOSCALER_SUBNET = ("k3s-autoscaled-subnet", "platform:index:K3sCluster", "k3s")
"""(name, parent type, parent name) of the autoscaled nodes' subnet before #19 moved it here from
K3sCluster("k3s"): its alias, so existing stacks keep it."""


@dataclass(frozen=True)
class PoolLayout:
    name: str
    count: int


@dataclass(frozen=True)
class NetworkArgs:
    cidr: str
    network_zone: str
    admin_cidrs: list[str]
    ssh_public_keys: list[str]
    control_plane_count: int
    pools: list[PoolLayout]
    protected: bool
    autoscaler_zone: str | None = None
    """Network zone of the autoscaled pool's location; None without an autoscaled pool."""

    @classmethod
    def from_config(cls, config: StackConfig) -> NetworkArgs:
        autoscaler = config.cluster.autoscaler
        return cls(
            cidr=config.network.cidr,
            network_zone=config.network_zone,
            admin_cidrs=list(config.admin_cidrs),
            ssh_public_keys=list(config.ssh_public_keys),
            control_plane_count=config.cluster.control_plane.count,
            pools=[PoolLayout(p.name, p.count) for p in config.cluster.agent_pools],
            protected=config.protected,
            autoscaler_zone=NETWORK_ZONES[autoscaler.resolved_location(config.location)]
            if autoscaler.enabled
            else None,
        )


def _as_int(value: str) -> int:
    return int(value)


class Network(pulumi.ComponentResource):
    """Everything the servers stand on: the private network with an infrastructure subnet, a /24 per
    agent pool and the autoscaler's, firewalls (control plane, agents, database), spread placement
    groups, and SSH keys.

    Nothing here costs money except what Hetzner bills for IPs.
    """

    network_id: pulumi.Output[int]
    infra_subnet_id: pulumi.Output[str]
    pool_subnet_ids: list[pulumi.Output[str]]
    ssh_key_ids: list[pulumi.Output[str]]
    control_plane_firewall_id: pulumi.Output[int]
    agent_firewall_id: pulumi.Output[int]
    database_firewall_id: pulumi.Output[int]
    control_plane_placement_group_id: pulumi.Output[int]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = base_labels(Component.NETWORK)
        self.ip_plan = IpPlan(args.cidr)

        network = hcloud.Network(
            f"{name}-private",
            ip_range=args.cidr,
            labels=labels,
            delete_protection=args.protected,
            opts=child,
        )
        self.network_id = network.id.apply(_as_int)

        def subnet(
            suffix: str, ip_range: str, zone: str = args.network_zone, opts: pulumi.ResourceOptions = child
        ) -> hcloud.NetworkSubnet:
            return hcloud.NetworkSubnet(
                f"{name}-{suffix}",
                network_id=self.network_id,
                type="cloud",
                network_zone=zone,
                ip_range=ip_range,
                opts=opts,
            )

        self.infra_subnet_id = subnet("infra", self.ip_plan.infra_subnet).id
        self.pool_subnet_ids = [
            subnet(f"pool-{pool.name}", self.ip_plan.pool_subnet(index)).id
            for index, pool in enumerate(args.pools)
        ]
        # Where the cluster-autoscaler's servers get their private addresses (its `subnetIPRange`).
        self.autoscaler_subnet: hcloud.NetworkSubnet | None = None
        if args.autoscaler_zone is not None:
            former_name, former_type, former_parent = FORMER_AUTOSCALER_SUBNET
            moved = pulumi.ResourceOptions(
                parent=self,
                aliases=[
                    pulumi.Alias(name=former_name, parent=pulumi.create_urn(former_parent, former_type))
                ],
            )
            self.autoscaler_subnet = subnet(
                "autoscaled", self.ip_plan.autoscaler_subnet, args.autoscaler_zone, moved
            )

        self.ssh_key_ids = server_ssh_keys(name, args.ssh_public_keys, labels, stack_labels(), child)

        def firewall(suffix: str, rules: list[hcloud.FirewallRuleArgs]) -> pulumi.Output[int]:
            fw = hcloud.Firewall(
                f"{name}-{suffix}", rules=rules, labels={**labels, "platform/firewall": suffix}, opts=child
            )
            return fw.id.apply(_as_int)

        self.control_plane_firewall_id = firewall("control-plane", control_plane_rules(args.admin_cidrs))
        self.agent_firewall_id = firewall("agents", host_rules(args.admin_cidrs))
        self.database_firewall_id = firewall("database", host_rules(args.admin_cidrs))

        def placement_group(suffix: str) -> pulumi.Output[int]:
            group = hcloud.PlacementGroup(f"{name}-{suffix}", type="spread", labels=labels, opts=child)
            return group.id.apply(_as_int)

        self.control_plane_placement_group_id = placement_group("control-plane")
        self._pool_placement_group_ids = {
            pool.name: [
                placement_group(f"pool-{pool.name}-{group}")
                for group in range(-(-pool.count // PLACEMENT_GROUP_LIMIT))
            ]
            for pool in args.pools
        }

        self.register_outputs(
            {
                "networkId": self.network_id,
                "infraSubnetId": self.infra_subnet_id,
                "controlPlaneFirewallId": self.control_plane_firewall_id,
                "agentFirewallId": self.agent_firewall_id,
                "databaseFirewallId": self.database_firewall_id,
            }
        )

    def agent_placement_group_id(self, pool: str, index: int) -> pulumi.Output[int]:
        """The spread group of agent `index` of `pool`: one group per PLACEMENT_GROUP_LIMIT agents."""
        return self._pool_placement_group_ids[pool][index // PLACEMENT_GROUP_LIMIT]
