"""Every version of everything this program installs, pinned in one place.

Renovate (see .github/renovate.json) bumps these; a change here rolls out through `pulumi up`.
"""

from __future__ import annotations

K3S_VERSION = "v1.34.1+k3s1"
"""k3s release installed on every node (https://github.com/k3s-io/k3s/releases)."""

KUBERNETES_MINOR = "1.34"
"""Kubernetes minor version of K3S_VERSION, used to pick the JSON schemas the tests validate against."""

SERVER_IMAGE = "debian-12"
"""Hetzner Cloud OS image for every server (cloud-init is part of Hetzner's Debian images)."""

HCLOUD_CCM_CHART_VERSION = "1.27.0"
"""Chart `hcloud-cloud-controller-manager` from https://charts.hetzner.cloud."""

HCLOUD_CSI_CHART_VERSION = "2.17.0"
"""Chart `hcloud-csi` from https://charts.hetzner.cloud."""

HETZNER_HELM_REPO = "https://charts.hetzner.cloud"

# --- Day 2: upgrades, reboots, autoscaling (docs/day2.md) ----------------------------------------

SYSTEM_UPGRADE_CONTROLLER_IMAGE = "rancher/system-upgrade-controller:v0.20.1"
"""https://github.com/rancher/system-upgrade-controller/releases (v0.20.1, 2026-05-19). The controller
creates its own `plans.upgrade.cattle.io` CRD at start-up (pkg/crds), so no CRD file is applied here."""

SYSTEM_UPGRADE_KUBECTL_IMAGE = "rancher/kubectl:v1.34.1"
"""kubectl the upgrade Jobs use to cordon and drain; same minor as KUBERNETES_MINOR."""

K3S_UPGRADE_IMAGE = "rancher/k3s-upgrade"
"""Image the Plans run; its tag is the Plan's version with `+` turned into `-` (done by the controller)."""

KURED_CHART_VERSION = "6.1.0"
"""Chart `kured` (kured 1.23.0) from https://kubereboot.github.io/charts."""

KURED_IMAGE_TAG = "1.23.0"
"""ghcr.io/kubereboot/kured, pinned here rather than left to the chart's appVersion."""

KURED_HELM_REPO = "https://kubereboot.github.io/charts"

CLUSTER_AUTOSCALER_CHART_VERSION = "9.59.0"
"""Chart `cluster-autoscaler` from https://kubernetes.github.io/autoscaler."""

CLUSTER_AUTOSCALER_IMAGE_TAG = "v1.35.2"
"""registry.k8s.io/autoscaling/cluster-autoscaler. One minor ahead of KUBERNETES_MINOR on purpose:
per-pool `subnetIPRange` (autoscaled nodes in their own /24, clear of the fixed addresses) arrived in
1.35.0; the Hetzner provider uses no API that changed between 1.34 and 1.35."""

AUTOSCALER_HELM_REPO = "https://kubernetes.github.io/autoscaler"
