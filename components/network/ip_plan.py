"""Fixed private addresses for everything on the private network.

Each agent pool has its own /24, so growing or shrinking one pool never renumbers another, and a
server keeps its address across replacements. Layout inside `network.cidr` (default 10.0.0.0/16):

| /24 index | what                    | hosts                                            |
|-----------|-------------------------|--------------------------------------------------|
| 1         | infrastructure subnet   | .2 API load balancer, .11-.17 k3s servers, .20 database VM |
| 2         | autoscaled nodes        | whatever Hetzner assigns (cluster-autoscaler `subnetIPRange`) |
| 16 + i    | agent pool number i     | .10 upwards, one per agent                        |
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

INFRA_SUBNET_INDEX = 1
AUTOSCALER_SUBNET_INDEX = 2
FIRST_POOL_SUBNET_INDEX = 16
MAX_POOLS = 16
API_LB_HOST = 2
FIRST_CONTROL_PLANE_HOST = 11
DATABASE_HOST = 20
FIRST_AGENT_HOST = 10


@dataclass(frozen=True)
class IpPlan:
    cidr: str

    def _slash24(self, index: int) -> ipaddress.IPv4Network:
        network = ipaddress.ip_network(self.cidr)
        subnets = network.subnets(new_prefix=24)
        for position, subnet in enumerate(subnets):
            if position == index:
                return subnet  # type: ignore[return-value]
        raise ValueError(f"network {self.cidr} has no /24 number {index}; use a /19 or larger")

    @property
    def infra_subnet(self) -> str:
        return str(self._slash24(INFRA_SUBNET_INDEX))

    @property
    def autoscaler_subnet(self) -> str:
        """The /24 autoscaled nodes take their addresses from, apart from every fixed address."""
        return str(self._slash24(AUTOSCALER_SUBNET_INDEX))

    def pool_subnet(self, pool_index: int) -> str:
        if pool_index >= MAX_POOLS:
            raise ValueError(f"at most {MAX_POOLS} agent pools fit the IP plan")
        return str(self._slash24(FIRST_POOL_SUBNET_INDEX + pool_index))

    @property
    def api_load_balancer_ip(self) -> str:
        return str(self._slash24(INFRA_SUBNET_INDEX)[API_LB_HOST])

    def control_plane_ip(self, index: int) -> str:
        return str(self._slash24(INFRA_SUBNET_INDEX)[FIRST_CONTROL_PLANE_HOST + index])

    @property
    def database_ip(self) -> str:
        return str(self._slash24(INFRA_SUBNET_INDEX)[DATABASE_HOST])

    def agent_ip(self, pool_index: int, index: int) -> str:
        return str(self._slash24(FIRST_POOL_SUBNET_INDEX + pool_index)[FIRST_AGENT_HOST + index])
