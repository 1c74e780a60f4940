"""The k3s cluster: node pools, versions and cluster-wide networking."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .. import versions
from .base import Cidr, InvalidSettingError, Section
from .catalog import check_server_type
from .day2 import AutoscalerConfig, EtcdBackupConfig, MaintenanceWindow
from .node_rules import check_pool_name, check_taints

_K3S_VERSION = re.compile(r"^v1\.\d+\.\d+\+k3s\d+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
ARCHES = ("amd64", "arm64")
"""Architectures of Hetzner's server types (cx/cpx/ccx: amd64; cax: arm64)."""


class ControlPlaneConfig(Section):
    """k3s servers running the API server and embedded etcd."""

    count: int = 1
    """Number of k3s servers: 1 (dev) or an odd number up to 7 so etcd keeps quorum."""

    server_type: str = "cpx22"
    """Hetzner server type of each k3s server."""

    _check_type = field_validator("server_type")(check_server_type)

    @field_validator("count")
    @classmethod
    def _odd_count(cls, value: int) -> int:
        if value < 1 or value % 2 == 0 or value > 7:
            raise ValueError(
                f"{value} is not allowed: use 1, 3, 5 or 7 servers (embedded etcd needs an odd "
                "number to keep quorum when one fails)"
            )
        return value


class AgentPoolConfig(Section):
    """A group of identical k3s agents. Scaling one pool never touches the others."""

    name: str
    """Pool name, part of every server name in the pool (lowercase letters, digits, dashes)."""

    count: int = Field(default=1, ge=0, le=100)
    """Number of agents in the pool (0 to 100)."""

    server_type: str = "cpx32"
    """Hetzner server type of each agent."""

    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes node labels for the pool."""

    taints: list[str] = Field(default_factory=list)
    """Kubernetes node taints, as `key=value:Effect`."""

    _check_type = field_validator("server_type")(check_server_type)

    _check_name = field_validator("name")(check_pool_name)
    _check_taints = field_validator("taints")(check_taints)


class ClusterConfig(Section):
    """k3s itself."""

    k3s_version: str = Field(default=versions.K3S_VERSION, alias="k3sVersion")
    """k3s release to install, e.g. v1.34.1+k3s1. Changing it later upgrades in place."""

    k3s_binary_sha256: dict[Literal["amd64", "arm64"], str] = Field(
        default_factory=dict, alias="k3sBinarySha256"
    )
    """sha256 of the k3s binary per architecture (amd64, arm64): the `k3s` and `k3s-arm64` lines of the
    release's sha256sum-amd64.txt / sha256sum-arm64.txt. Only for a k3sVersion without a pin in
    components/versions.py; nodes refuse a binary that does not match."""

    image: str = versions.SERVER_IMAGE
    """Hetzner OS image of every node."""

    control_plane: ControlPlaneConfig = ControlPlaneConfig()
    """The k3s servers."""

    agent_pools: list[AgentPoolConfig] = Field(
        default_factory=lambda: [AgentPoolConfig(name="general")], max_length=16
    )
    """Agent pools (at most 16); each has its own name, size, server type and /24 subnet.
    Add new pools at the end: a pool's subnet follows its position in the list."""

    flannel_backend: Literal["vxlan", "wireguard-native"] = "vxlan"
    """Pod network encapsulation; wireguard-native encrypts pod traffic between nodes."""

    cluster_cidr: Cidr = "10.42.0.0/16"
    """Pod IP range (must not overlap the private network)."""

    service_cidr: Cidr = "10.43.0.0/16"
    """Service IP range (must not overlap the private network or clusterCidr)."""

    api_load_balancer_type: str = "lb11"
    """Hetzner load balancer type of the private API load balancer (created when there are 3+ servers)."""

    maintenance: MaintenanceWindow = MaintenanceWindow()
    """When k3s upgrades and OS-update reboots may drain nodes (docs/day2.md)."""

    etcd_backup: EtcdBackupConfig = EtcdBackupConfig()
    """etcd snapshots: schedule, retention and the off-site S3 copy (docs/day2.md)."""

    autoscaler: AutoscalerConfig = AutoscalerConfig()
    """An optional node pool grown and shrunk by the Hetzner cluster-autoscaler (docs/day2.md)."""

    @field_validator("k3s_version")
    @classmethod
    def _version_form(cls, value: str) -> str:
        if not _K3S_VERSION.match(value):
            raise ValueError(f"{value!r} is not a k3s release name like {versions.K3S_VERSION}")
        return value

    @field_validator("k3s_binary_sha256")
    @classmethod
    def _digests(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(arch for arch, digest in value.items() if not _SHA256.match(digest))
        if bad:
            raise ValueError(f"{bad}: a sha256 is 64 lowercase hex digits, as in the sha256sum file")
        return value

    @model_validator(mode="after")
    def _binary_pinned(self) -> ClusterConfig:
        missing = [arch for arch in ARCHES if arch not in self.k3s_binary_digests]
        if missing:
            raise InvalidSettingError(
                "k3sBinarySha256",
                self.k3s_binary_sha256,
                f"has no sha256 for {', '.join(missing)} and components/versions.py pins none for "
                f"k3sVersion {self.k3s_version}: set k3sBinarySha256.<arch> from the release's "
                "sha256sum-<arch>.txt (lines `k3s` and `k3s-arm64`)",
            )
        return self

    @property
    def k3s_binary_digests(self) -> dict[str, str]:
        """sha256 per architecture the nodes check the downloaded k3s binary against."""
        pinned = versions.K3S_BINARY_SHA256.get(self.k3s_version, {})
        return {**pinned, **{str(arch): digest for arch, digest in self.k3s_binary_sha256.items()}}

    @model_validator(mode="after")
    def _service_range_apart_from_pods(self) -> ClusterConfig:
        # k3s hands out pod addresses from clusterCidr and Service IPs from serviceCidr; where they
        # overlap, a Service IP can equal a pod's address and traffic to either goes astray.
        if ipaddress.ip_network(self.service_cidr).overlaps(ipaddress.ip_network(self.cluster_cidr)):
            raise InvalidSettingError(
                "serviceCidr",
                self.service_cidr,
                f"overlaps cluster.clusterCidr {self.cluster_cidr} (pod addresses); pick a disjoint "
                "range, e.g. the defaults 10.42.0.0/16 for pods and 10.43.0.0/16 for Services",
            )
        return self

    @model_validator(mode="after")
    def _unique_pool_names(self) -> ClusterConfig:
        names = [pool.name for pool in self.agent_pools]
        if self.autoscaler.enabled:
            names.append(self.autoscaler.name)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"agentPools (and autoscaler.name) have duplicate names {duplicates}; each pool needs its own"
            )
        return self

    @property
    def ha(self) -> bool:
        """True when the control plane has more than one server (embedded etcd, API load balancer)."""
        return self.control_plane.count > 1
