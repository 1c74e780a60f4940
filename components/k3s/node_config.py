"""The k3s configuration file of each node, as data (ADR 0007: hardening on by default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SERVER_DIR = "/var/lib/rancher/k3s/server"
AUDIT_POLICY = f"{SERVER_DIR}/audit.yaml"
AUDIT_LOG = f"{SERVER_DIR}/logs/audit.log"
PSA_CONFIG = f"{SERVER_DIR}/psa.yaml"

HARDENED_SERVER_SETTINGS: dict[str, Any] = {
    "secrets-encryption": True,
    "secrets-encryption-provider": "secretbox",
    "protect-kernel-defaults": True,
    "write-kubeconfig-mode": "0600",
    "disable": ["servicelb", "local-storage"],
    "disable-cloud-controller": True,
    "kube-apiserver-arg": [
        f"admission-control-config-file={PSA_CONFIG}",
        f"audit-policy-file={AUDIT_POLICY}",
        f"audit-log-path={AUDIT_LOG}",
        "audit-log-maxage=30",
        "audit-log-maxbackup=10",
        "audit-log-maxsize=100",
    ],
}
"""Settings every k3s server gets; several are 'critical values' that must match on all servers."""

KUBELET_ARGS = ["cloud-provider=external"]


@dataclass(frozen=True)
class ClusterSettings:
    """Values shared by every node of one cluster."""

    cluster_cidr: str
    service_cidr: str
    flannel_backend: str
    join_endpoint: str
    """`https://host:6443` agents and joining servers use: the private API LB, or the first server."""
    tls_sans: list[str]
    server_extras: dict[str, Any] = field(default_factory=dict)
    """Further keys every server gets alike (etcd snapshot settings)."""


@dataclass(frozen=True)
class NodeSettings:
    """Values for one node."""

    name: str | None
    """None: k3s uses the host name (autoscaled nodes, named by the autoscaler)."""
    private_ip: str | None
    """None: found at boot by platform-install-k3s (autoscaled nodes)."""
    public_ip: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[str] = field(default_factory=list)


def _node_keys(node: NodeSettings) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    if node.name:
        keys["node-name"] = node.name
    if node.private_ip:
        keys["node-ip"] = node.private_ip
    if node.public_ip:
        keys["node-external-ip"] = node.public_ip
    keys["kubelet-arg"] = KUBELET_ARGS
    if node.labels:
        keys["node-label"] = [f"{k}={v}" for k, v in sorted(node.labels.items())]
    if node.taints:
        keys["node-taint"] = list(node.taints)
    return keys


def server_config(
    cluster: ClusterSettings,
    node: NodeSettings,
    *,
    token: str,
    agent_token: str,
    single: bool,
) -> dict[str, Any]:
    """config.yaml of a k3s server: the server of a single-server cluster initialises embedded etcd;
    in HA every server, the first one included, joins through `server:`. config.yaml is read at every
    start, so a persisted `cluster-init` would let a rebuilt first server start a second, empty
    cluster; the HA cluster's very first start initialises through a first-boot drop-in instead
    (files/platform-install-k3s, K3S_INIT_PEERS).

    `token` is the full CA-pinned server token; `agent_token` is the bare agent secret the servers
    accept (agents present it as `K10<hash>::node:<secret>`).
    """
    config: dict[str, Any] = {"token": token, "agent-token": agent_token}
    if single:
        config["cluster-init"] = True
    else:
        config["server"] = cluster.join_endpoint
    config.update(_node_keys(node))
    config.update(
        {
            "advertise-address": node.private_ip,
            "tls-san": cluster.tls_sans,
            "cluster-cidr": cluster.cluster_cidr,
            "service-cidr": cluster.service_cidr,
            "flannel-backend": cluster.flannel_backend,
            **HARDENED_SERVER_SETTINGS,
            **cluster.server_extras,
        }
    )
    return config


def agent_config(cluster: ClusterSettings, node: NodeSettings, *, agent_token: str) -> dict[str, Any]:
    """config.yaml of a k3s agent: it only knows the join endpoint and the CA-pinned agent token."""
    config: dict[str, Any] = {"server": cluster.join_endpoint, "token": agent_token}
    config.update(_node_keys(node))
    config["protect-kernel-defaults"] = True
    return config
