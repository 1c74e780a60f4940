"""Addresses, port ranges and Hetzner label selectors, as they appear in hcloud resource properties."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Ports nobody on the internet should reach, with the service a reader recognises.
ADMIN_PORTS: dict[tuple[str, int], str] = {
    ("tcp", 22): "SSH",
    ("tcp", 6443): "the Kubernetes API",
    ("tcp", 9345): "the k3s supervisor (node join)",
    ("tcp", 10250): "the kubelet API",
    ("tcp", 10255): "the kubelet read-only API",
    ("tcp", 2379): "etcd clients",
    ("tcp", 2380): "etcd peers",
    ("tcp", 2381): "etcd metrics",
    ("udp", 8472): "flannel VXLAN",
    ("udp", 51820): "flannel WireGuard (IPv4)",
    ("udp", 51821): "flannel WireGuard (IPv6)",
    ("tcp", 5432): "PostgreSQL",
    ("tcp", 6432): "PgBouncer",
    ("tcp", 9100): "node-exporter",
    ("tcp", 10249): "kube-proxy metrics",
    ("tcp", 10257): "kube-controller-manager",
    ("tcp", 10259): "kube-scheduler",
}


def is_world(cidr: str) -> bool:
    """True when a source admits (nearly) the whole internet.

    Besides 0.0.0.0/0 and ::/0, any IPv4 range wider than /8 or IPv6 range wider than /16 counts:
    splitting the world into 0.0.0.0/1 + 128.0.0.0/1 must not slip past the gate.
    """
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    return net.prefixlen < (8 if net.version == 4 else 16)


PRIVATE_RANGES = [
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
]


def is_private(cidr: str) -> bool:
    """True for sources inside RFC 1918 / ULA ranges (a private network, never the internet).

    Not `ipaddress.is_private`, which also counts documentation ranges such as 203.0.113.0/24.
    """
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False
    return any(net.version == p.version and net.subnet_of(p) for p in PRIVATE_RANGES)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PortRange:
    low: int
    high: int

    def covers(self, port: int) -> bool:
        return self.low <= port <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


ALL_PORTS = PortRange(1, 65535)


def parse_port(value: object) -> PortRange | None:
    """A firewall or service port: "22", "80-85", "any", or a number (floats on the wire)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return PortRange(int(value), int(value))
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in ("any", ""):
        return ALL_PORTS
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if not match:
        return None
    low = int(match.group(1))
    return PortRange(low, int(match.group(2) or low))


def admin_services(protocol: str, ports: PortRange) -> list[str]:
    """The admin services a (protocol, port range) exposes, e.g. ['22 (SSH)']."""
    return [
        f"{port}/{proto} ({name})"
        for (proto, port), name in ADMIN_PORTS.items()
        if proto == protocol and ports.covers(port)
    ]


_REQUIREMENT = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[\w./-]+)\s*"
    r"(?:(?P<op>==|!=|=)\s*(?P<value>[\w.-]*)|\s+(?P<set_op>in|notin)\s*\((?P<values>[^)]*)\))?\s*$"
)


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """Whether Hetzner's label selector (`k=v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`,
    comma = and) selects a resource with these labels. An unparsable selector selects nothing."""
    requirements = _split_selector(selector)
    if not requirements:
        return False
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if not match:
            return False
        key, negated = match["key"], bool(match["neg"])
        if match["op"]:
            equal = labels.get(key) == match["value"]
            if (match["op"] == "!=") == equal:
                return False
        elif match["set_op"]:
            values = {v.strip() for v in match["values"].split(",")}
            inside = labels.get(key) in values
            if (match["set_op"] == "in") != inside:
                return False
        elif negated == (key in labels):
            return False
    return True
