"""The `Network` component and the fixed private IP plan."""

from .component import Network, NetworkArgs, PoolLayout
from .ip_plan import IpPlan

__all__ = ["IpPlan", "Network", "NetworkArgs", "PoolLayout"]
