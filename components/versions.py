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

# --- Phases 2-3: object store ---------------------------------------------------------------------------

SEAWEEDFS_CHART_VERSION = "4.44.0"
"""Chart `seaweedfs` (SeaweedFS 4.44: S3 gateway with versioning and lifecycle rules), Apache-2.0."""

SEAWEEDFS_HELM_REPO = "https://seaweedfs.github.io/seaweedfs/helm"

AWS_CLI_IMAGE = "amazon/aws-cli:2.37.5"
"""Runs the bucket bootstrap script (components/object_store/files/bootstrap-buckets.sh)."""
