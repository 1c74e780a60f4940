"""Private network layout."""

from __future__ import annotations

import ipaddress

from pydantic import field_validator

from .base import Cidr, Section


class NetworkConfig(Section):
    """The Hetzner private network all servers and the API load balancer share."""

    cidr: Cidr = "10.0.0.0/16"
    """Private (RFC 1918) range of the network, /8 to /19; subnets are carved from it as /24s
    (see components/network/ip_plan.py)."""

    @field_validator("cidr")
    @classmethod
    def _private_and_large_enough(cls, value: str) -> str:
        network = ipaddress.ip_network(value)
        if not network.is_private or network.version != 4:
            raise ValueError(f"{value} is not a private IPv4 (RFC 1918) range such as 10.0.0.0/16")
        if network.prefixlen > 19:
            raise ValueError(f"{value} is too small: the IP plan needs a /19 or larger (e.g. 10.0.0.0/16)")
        return value
