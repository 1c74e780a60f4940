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

# Supabase, self-hosted mode: the images of upstream's self-hosted release self-hosted/v0.8.2
# (supabase/supabase docker/docker-compose.yml at commit 1f37f2a9d82df788cb026dd9d25c4125e26da715;
# Kong from docker-compose.kong.yml of the same commit). Bump them together, release by release.
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

SUPABASE_BOOTSTRAP_IMAGE = "postgres:17.6-alpine"
"""psql for the Supabase database bootstrap Job (a psql 17 client talks to servers 10 and newer)."""
