"""Every version of everything this program installs, pinned in one place.

Renovate (see .github/renovate.json) bumps these; a change here rolls out through `pulumi up`.
Every literal pin carries a `# renovate: datasource=... depName=...` line right above it (optional,
in this order: registryUrl=, versioning=, extractVersion=) or a `# not-renovated: <why>` line;
tests/delivery checks that Renovate's pattern finds each one.
"""

from __future__ import annotations

# renovate: datasource=github-releases depName=k3s-io/k3s
K3S_VERSION = "v1.34.1+k3s1"
"""k3s release installed on every node (https://github.com/k3s-io/k3s/releases)."""

KUBERNETES_MINOR = ".".join(K3S_VERSION.removeprefix("v").split(".")[:2])
"""Kubernetes minor version of K3S_VERSION, used to pick the JSON schemas the tests validate against."""

# not-renovated: a Hetzner Cloud image name, not a release; moving to a new Debian is a planned rebuild
SERVER_IMAGE = "debian-12"
"""Hetzner Cloud OS image for every server (cloud-init is part of Hetzner's Debian images)."""

# renovate: datasource=helm depName=hcloud-cloud-controller-manager registryUrl=https://charts.hetzner.cloud
HCLOUD_CCM_CHART_VERSION = "1.27.0"
"""Chart `hcloud-cloud-controller-manager` from https://charts.hetzner.cloud."""

# renovate: datasource=helm depName=hcloud-csi registryUrl=https://charts.hetzner.cloud
HCLOUD_CSI_CHART_VERSION = "2.17.0"
"""Chart `hcloud-csi` from https://charts.hetzner.cloud."""

# not-renovated: a repository address, not a version
HETZNER_HELM_REPO = "https://charts.hetzner.cloud"
