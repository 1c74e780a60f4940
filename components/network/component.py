"""`Network`: the private network, subnets, firewalls, placement groups and SSH keys."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud

from ..config import StackConfig
from ..naming import Component, base_labels, stack_labels
from .firewall_rules import control_plane_rules, host_rules
from .ip_plan import IpPlan
from .ssh_keys import server_ssh_keys

PLACEMENT_GROUP_LIMIT = 10
"""Hetzner allows at most ten servers in one spread placement group."""


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

    @classmethod
    def from_config(cls, config: StackConfig) -> NetworkArgs:
        return cls(
            cidr=config.network.cidr,
            network_zone=config.network_zone,
            admin_cidrs=list(config.admin_cidrs),
            ssh_public_keys=list(config.ssh_public_keys),
            control_plane_count=config.cluster.control_plane.count,
            pools=[PoolLayout(p.name, p.count) for p in config.cluster.agent_pools],
            protected=config.protected,
        )


def _as_int(value: str) -> int:
    return int(value)


class Network(pulumi.ComponentResource):
    """Everything the servers stand on. Nothing here costs money except what Hetzner bills for IPs."""

    network_id: pulumi.Output[int]
    infra_subnet_id: pulumi.Output[str]
    pool_subnet_ids: list[pulumi.Output[str]]
    ssh_key_ids: list[pulumi.Output[str]]
    control_plane_firewall_id: pulumi.Output[int]
    agent_firewall_id: pulumi.Output[int]
    database_firewall_id: pulumi.Output[int]
    control_plane_placement_group_id: pulumi.Output[int]
    pool_placement_group_ids: dict[str, list[pulumi.Output[int]]]

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

        def subnet(suffix: str, ip_range: str) -> hcloud.NetworkSubnet:
            return hcloud.NetworkSubnet(
                f"{name}-{suffix}",
                network_id=self.network_id,
                type="cloud",
                network_zone=args.network_zone,
                ip_range=ip_range,
                opts=child,
            )

        self.infra_subnet_id = subnet("infra", self.ip_plan.infra_subnet).id
        self.pool_subnet_ids = [
            subnet(f"pool-{pool.name}", self.ip_plan.pool_subnet(index)).id
            for index, pool in enumerate(args.pools)
        ]

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
        self.pool_placement_group_ids = {
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
