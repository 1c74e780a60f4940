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

POSTGRES_MAJOR = 17
"""PostgreSQL major version of the database VM (postgresql-17 from the PostgreSQL project's apt
repository, which ships every minor release; minors are bug and security fixes only)."""

POSTGRES_SUPPORTED_MAJORS = (15, 16, 17, 18)
"""Majors whose settings the rendered postgresql.conf uses (wal_compression = lz4 needs 15)."""

PGBACKREST_VERSION = "2.59.2"
"""pgBackRest from the same apt repository, pinned through apt preferences
(https://pgbackrest.org/release.html)."""
