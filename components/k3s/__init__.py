"""The `K3sCluster` component."""

from .component import K3sCluster, K3sClusterArgs, NodeInfo

__all__ = ["K3sCluster", "K3sClusterArgs", "NodeInfo"]
