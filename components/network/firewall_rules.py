"""Inbound rules for the public interfaces. Hetzner firewalls see only public traffic; the private
network is where nodes, the database and load balancers talk to each other."""

from __future__ import annotations

import pulumi_hcloud as hcloud

WORLD = ["0.0.0.0/0", "::/0"]
SSH_PORT = "22"
KUBE_API_PORT = "6443"


def _tcp(port: str, sources: list[str], description: str) -> hcloud.FirewallRuleArgs:
    return hcloud.FirewallRuleArgs(
        direction="in", protocol="tcp", port=port, source_ips=sources, description=description
    )


def _icmp() -> hcloud.FirewallRuleArgs:
    return hcloud.FirewallRuleArgs(
        direction="in", protocol="icmp", source_ips=WORLD, description="ping and path-MTU discovery"
    )


def control_plane_rules(admin_cidrs: list[str]) -> list[hcloud.FirewallRuleArgs]:
    """SSH and the Kubernetes API from adminCidrs, ICMP from anywhere; everything else is dropped."""
    return [
        _tcp(SSH_PORT, admin_cidrs, "SSH from admin networks"),
        _tcp(KUBE_API_PORT, admin_cidrs, "Kubernetes API from admin networks"),
        _icmp(),
    ]


def host_rules(admin_cidrs: list[str]) -> list[hcloud.FirewallRuleArgs]:
    """Agents and the database VM: SSH from adminCidrs and ICMP only."""
    return [_tcp(SSH_PORT, admin_cidrs, "SSH from admin networks"), _icmp()]
