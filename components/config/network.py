"""Private network layout."""

from __future__ import annotations

import ipaddress

from pydantic import model_validator

from .base import Cidr, Section


class NetworkConfig(Section):
    """The Hetzner private network all servers and the API load balancer share."""

    cidr: Cidr = "10.0.0.0/16"
    """Range of the private network. Hetzner allows RFC 1918 ranges of /8 to /24."""

    node_subnet: Cidr = "10.0.1.0/24"
    """Subnet, inside `cidr`, from which servers get fixed private IPs."""

    @model_validator(mode="after")
    def _subnet_inside_network(self) -> NetworkConfig:
        network = ipaddress.ip_network(self.cidr)
        subnet = ipaddress.ip_network(self.node_subnet)
        if not network.is_private:
            raise ValueError(f"cidr {self.cidr} is not a private (RFC 1918) range")
        if not subnet.subnet_of(network):  # type: ignore[arg-type]
            raise ValueError(f"nodeSubnet {self.node_subnet} lies outside cidr {self.cidr}")
        if subnet.num_addresses < 256:
            raise ValueError(f"nodeSubnet {self.node_subnet} is smaller than a /24; the IP plan needs one")
        return self
