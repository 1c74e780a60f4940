"""Every version of everything this program installs, pinned in one place.

Renovate (see .github/renovate.json) bumps these; a change here rolls out through `pulumi up`.
Every literal pin carries a `# renovate: datasource=... depName=...` line right above it (optional,
in this order: registryUrl=, versioning=, extractVersion=), or `# renovate: datasource=docker` above an
"image:tag" value, or a `# not-renovated: <why>` line; tests/delivery checks that Renovate's patterns
read each one. Repository addresses (https://...) are not pins.

A Helm chart is a `ChartPin` (chart, version, repository) that `components.helm.release` installs; its
version is the annotated constant above it, and tests/delivery checks that the annotation names the
same chart and repository, so what Renovate updates is what Pulumi installs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart at one version, from one repository."""

    chart: str
    version: str
    repo: str


# renovate: datasource=github-releases depName=k3s-io/k3s
K3S_VERSION = "v1.34.10+k3s1"
"""k3s release installed on every node (https://github.com/k3s-io/k3s/releases)."""

K3S_BINARY_SHA256: dict[str, dict[str, str]] = {
    "v1.34.10+k3s1": {
        "amd64": "e63a3511b2603fd1436a1ea8d228348a3b47334b45024801d41a8c0e2d22e8c4",
        "arm64": "e96eb8b095600cb790f776ae3c619d266ad83a3c3d7b56166f8f2605ca898d65",
    },
}
"""sha256 of the release assets `k3s` (amd64) and `k3s-arm64` per k3s release; the node verifies the
binary against it before installing (files/platform-install-k3s). A K3S_VERSION bump must add its
line (a config check refuses a version without one). Source: the `k3s` / `k3s-arm64` lines of the
release's sha256sum-<arch>.txt; v1.34.10+k3s1 as pinned by independent public projects (amd64: four
agree, also on the size 80879800 bytes; arm64: one), the release file itself was not readable here."""

# not-renovated: a k3s-io/k3s commit, moved by hand with K3S_INSTALLER_SHA256 (works for any release)
K3S_INSTALLER_COMMIT = "39a4509ed98145d4f1eb8e15a8ca8362ca018afa"
"""k3s-io/k3s commit whose install.sh the nodes run: the v1.34.10+k3s1 release commit."""

# not-renovated: the digest of install.sh at K3S_INSTALLER_COMMIT; it moves with that commit
K3S_INSTALLER_SHA256 = "40b487f0d8ef4f5d1bf422e7bb6228cc7789c40ecc66c5ab067d396bbee9816e"
"""sha256 of install.sh at K3S_INSTALLER_COMMIT, equal to the repository's own install.sh.sha256sum
at that commit (both read from a public copy of the repository)."""

KUBERNETES_MINOR = ".".join(K3S_VERSION.removeprefix("v").split(".")[:2])
"""Kubernetes minor version of K3S_VERSION, used to pick the JSON schemas the tests validate against."""

# not-renovated: a Hetzner Cloud image name, not a release; moving to a new Debian is a planned rebuild
SERVER_IMAGE = "debian-12"
"""Hetzner Cloud OS image for every server (cloud-init is part of Hetzner's Debian images)."""

# renovate: datasource=helm depName=hcloud-cloud-controller-manager registryUrl=https://charts.hetzner.cloud
HCLOUD_CCM_CHART_VERSION = "1.35.0"
HCLOUD_CCM = ChartPin(
    "hcloud-cloud-controller-manager", HCLOUD_CCM_CHART_VERSION, "https://charts.hetzner.cloud"
)

# renovate: datasource=helm depName=hcloud-csi registryUrl=https://charts.hetzner.cloud
HCLOUD_CSI_CHART_VERSION = "2.22.1"
HCLOUD_CSI = ChartPin("hcloud-csi", HCLOUD_CSI_CHART_VERSION, "https://charts.hetzner.cloud")

HETZNER_HELM_REPO = HCLOUD_CSI.repo  # until the cluster add-ons use helm.release (after the K3sCluster split)

# --- Phases 2-3: object store ---------------------------------------------------------------------------

# renovate: datasource=helm depName=seaweedfs registryUrl=https://seaweedfs.github.io/seaweedfs/helm
SEAWEEDFS_CHART_VERSION = "4.44.0"
SEAWEEDFS = ChartPin("seaweedfs", SEAWEEDFS_CHART_VERSION, "https://seaweedfs.github.io/seaweedfs/helm")
"""SeaweedFS 4.44: S3 gateway with versioning and lifecycle rules, Apache-2.0."""

# renovate: datasource=docker
AWS_CLI_IMAGE = "amazon/aws-cli:2.37.5"
"""Runs the bucket bootstrap script (components/object_store/files/bootstrap-buckets.sh)."""

# --- Phase 1: ingress, observability, web/API -------------------------------------------------------

# not-renovated: the chart k3s bundles; it moves with K3S_VERSION
TRAEFIK_CHART_VERSION = "40.1.4+up40.1.0"
"""Traefik chart k3s v1.34.10+k3s1 bundles (k3s-io/k3s manifests/traefik.yaml at that release; it deploys
Traefik 3.7.8). Not installed by us: our HelmChartConfig only overrides its values, so this pin names the
chart whose value keys we write against (tests/contracts check it against the k3s release's own manifest).
From chart 39 on, an entry point's redirections, middlewares and tls sit under `ports.<name>.http`."""

# renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
CERT_MANAGER_CHART_VERSION = "v1.21.1"
CERT_MANAGER = ChartPin("cert-manager", CERT_MANAGER_CHART_VERSION, "https://charts.jetstack.io")

# renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
KUBE_PROMETHEUS_STACK_CHART_VERSION = "88.5.3"
KUBE_PROMETHEUS_STACK = ChartPin(
    "kube-prometheus-stack",
    KUBE_PROMETHEUS_STACK_CHART_VERSION,
    "https://prometheus-community.github.io/helm-charts",
)
"""Prometheus Operator v0.93, Prometheus v3."""

# not-renovated: held at the amtool version the tests run (Debian's), see below
ALERTMANAGER_IMAGE_TAG = "v0.25.0"
"""Alertmanager image deployed by kube-prometheus-stack. Held at Debian bookworm's amtool (0.25) so the
test suite's `amtool check-config` is the same parser that loads the rendered configuration."""

# renovate: datasource=helm depName=loki registryUrl=https://grafana-community.github.io/helm-charts
LOKI_CHART_VERSION = "18.11.0"
LOKI = ChartPin("loki", LOKI_CHART_VERSION, "https://grafana-community.github.io/helm-charts")
"""Loki 3.7, from grafana-community, where the chart is maintained since 2026-03-16."""

# renovate: datasource=helm depName=alloy registryUrl=https://grafana.github.io/helm-charts
ALLOY_CHART_VERSION = "1.11.1"
ALLOY = ChartPin("alloy", ALLOY_CHART_VERSION, "https://grafana.github.io/helm-charts")
"""Grafana Alloy v1.18, the log shipper that replaces end-of-life Promtail."""

# not-renovated: a new major is a pg_upgrade, planned by hand; minors come from apt
POSTGRES_MAJOR = 17
"""PostgreSQL major version of the database VM (postgresql-17 from the PostgreSQL project's apt
repository, which ships every minor release; minors are bug and security fixes only)."""

POSTGRES_SUPPORTED_MAJORS = (15, 16, 17, 18)
"""Majors whose settings the rendered postgresql.conf uses (wal_compression = lz4 needs 15)."""

# renovate: datasource=github-tags depName=pgbackrest/pgbackrest extractVersion=^release/(?<version>.+)$
PGBACKREST_VERSION = "2.59.2"
"""pgBackRest from the same apt repository, pinned through apt preferences
(https://pgbackrest.org/release.html)."""
# --- Day 2: upgrades, reboots, autoscaling (docs/day2.md) ----------------------------------------

# renovate: datasource=docker
SYSTEM_UPGRADE_CONTROLLER_IMAGE = "rancher/system-upgrade-controller:v0.20.1"
"""https://github.com/rancher/system-upgrade-controller/releases (v0.20.1, tagged 2026-07-22). The controller
creates its own `plans.upgrade.cattle.io` CRD at start-up (pkg/crds), so no CRD file is applied here."""

# renovate: datasource=docker
SYSTEM_UPGRADE_KUBECTL_IMAGE = "rancher/kubectl:v1.34.1"
"""kubectl the upgrade Jobs use to cordon and drain; same minor as KUBERNETES_MINOR."""

# not-renovated: an image name; the tag is each Plan's K3S_VERSION
K3S_UPGRADE_IMAGE = "rancher/k3s-upgrade"
"""Image the Plans run; its tag is the Plan's version with `+` turned into `-` (done by the controller)."""

# renovate: datasource=helm depName=kured registryUrl=https://kubereboot.github.io/charts
KURED_CHART_VERSION = "6.1.0"
KURED = ChartPin("kured", KURED_CHART_VERSION, "https://kubereboot.github.io/charts")
"""kured 1.23.0."""
KURED_HELM_REPO = KURED.repo  # until day 2 uses helm.release (after the K3sCluster split)

# renovate: datasource=docker depName=ghcr.io/kubereboot/kured
KURED_IMAGE_TAG = "1.23.0"
"""ghcr.io/kubereboot/kured, pinned here rather than left to the chart's appVersion."""

# renovate: datasource=helm depName=cluster-autoscaler registryUrl=https://kubernetes.github.io/autoscaler
CLUSTER_AUTOSCALER_CHART_VERSION = "9.59.0"
CLUSTER_AUTOSCALER = ChartPin(
    "cluster-autoscaler", CLUSTER_AUTOSCALER_CHART_VERSION, "https://kubernetes.github.io/autoscaler"
)
AUTOSCALER_HELM_REPO = CLUSTER_AUTOSCALER.repo  # until day 2 uses helm.release

# renovate: datasource=docker depName=registry.k8s.io/autoscaling/cluster-autoscaler
CLUSTER_AUTOSCALER_IMAGE_TAG = "v1.35.2"
"""registry.k8s.io/autoscaling/cluster-autoscaler. One minor ahead of KUBERNETES_MINOR on purpose:
per-pool `subnetIPRange` (autoscaled nodes in their own /24, clear of the fixed addresses) arrived in
1.35.0; the Hetzner provider uses no API that changed between 1.34 and 1.35."""

# Supabase, self-hosted mode: the images of upstream's self-hosted release self-hosted/v0.8.2
# (supabase/supabase docker/docker-compose.yml at commit 1f37f2a9d82df788cb026dd9d25c4125e26da715;
# Kong from docker-compose.kong.yml of the same commit). Bump them together, release by release.
# not-renovated: the images below move together with upstream's self-hosted release, as one change
SUPABASE_RELEASE = "self-hosted/v0.8.2"
SUPABASE_IMAGES: dict[str, str] = {
    "kong": "kong/kong:3.9.3",
    "auth": "supabase/gotrue:v2.196.0",
    "rest": "postgrest/postgrest:v14.17",
    "realtime": "supabase/realtime:v2.134.10",
    "storage": "supabase/storage-api:v1.74.0",
    "imgproxy": "darthsim/imgproxy:v3.31.4",
    "meta": "supabase/postgres-meta:v0.99.0",
    "studio": "supabase/studio:2026.09.07-sha-7996410",
    "functions": "supabase/edge-runtime:v1.76.2",
}

# renovate: datasource=docker depName=postgres
SUPABASE_BOOTSTRAP_PSQL_TAG = "17.6-alpine"
"""Image tag of `postgres` whose psql runs the Supabase database bootstrap Job (psql 17 talks to
servers 10 and newer)."""
