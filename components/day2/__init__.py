"""The `Day2` component: k3s upgrades, kured, the etcd snapshot Secret and the autoscaled pool."""

from .component import Day2, Day2Args

__all__ = ["Day2", "Day2Args"]
