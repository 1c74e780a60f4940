"""How long `pulumi up` waits for each Helm release to become ready (`helm.v3.Release.timeout`, seconds).

Helm's default is 300 s. On a fresh cluster that is too short for a release that pulls several images onto
new nodes and waits for Hetzner volumes to be created, attached and formatted before its StatefulSets are
ready; a release that runs out of time fails `pulumi up` although the rollout would have finished.
"""

from __future__ import annotations

SMALL = 600
"""A few small images, no volumes (CCM, CSI, cert-manager, kured, Alloy, cluster-autoscaler)."""

WITH_VOLUMES = 1200
"""Releases whose pods wait for Hetzner volumes (Loki, SeaweedFS) or pull many images on every node
(kube-prometheus-stack: operator, Grafana with sidecars, kube-state-metrics, node-exporter everywhere)."""
