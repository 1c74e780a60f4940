"""The `K3sCluster` component."""

from .component import K3sCluster, K3sClusterArgs, NodeInfo
from .user_data import FILES

__all__ = ["FILES", "K3sCluster", "K3sClusterArgs", "NodeInfo"]
