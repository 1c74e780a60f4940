"""The `ClusterAddons` component: Hetzner CCM and CSI, their teardown, and the workloads' provider."""

from .component import ClusterAddons, ClusterAddonsArgs

__all__ = ["ClusterAddons", "ClusterAddonsArgs"]
