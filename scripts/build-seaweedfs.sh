#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (master, volume server, filer and S3 gateway in one program) from the Go
# module proxy, cached per version (scripts/lib/tool-cache.sh), for the acceptance test of the object
# store's "copies per object" gate (tests/acceptance/test_object_store_copies.py).
# Prints the absolute path of `weed`.
#
# Version: the proxy lists no release of github.com/seaweedfs/seaweedfs (upstream tags are "4.44", not
# Go's "v4.44.0", so they are no module versions); it serves the pseudo-version below, a commit of
# 2026-11-09 whose weed/util/version says 4.53. The chart the platform deploys is 4.44
# (SEAWEEDFS_CHART_VERSION in components/versions.py), so the test runs a newer SeaweedFS than the
# cluster: the master's /dir/status and /vol/status answers the gate reads are the same in both.
#
# Usage: scripts/build-seaweedfs.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=/dev/null
. "$root/scripts/lib/tool-cache.sh"

SEAWEEDFS_MODULE_VERSION=v0.0.0-20261109003541-7506e5f91cd6

if ! command -v go >/dev/null 2>&1; then
  echo "build-seaweedfs: go not found; install Go 1.26.6 or newer (https://go.dev/doc/install) and re-run" >&2
  exit 1
fi
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

# The module is built as the main module (its go.mod carries a replace directive that applies only
# then), from a writable copy of its source; flags as upstream's container build, static and stripped.
# A subshell, so its scratch folder goes on exit; && because cached_build calls it where `set -e` does
# not apply.
build_weed() (
  out=$1
  work="$(mktemp -d)" && trap 'rm -rf "$work"' EXIT &&
    src="$(go_module_dir github.com/seaweedfs/seaweedfs "$SEAWEEDFS_MODULE_VERSION")" &&
    cp -R "$src/." "$work" && chmod -R u+w "$work" && cd "$work/weed" &&
    go build -trimpath -o "$out/weed" -ldflags "-s -w -extldflags -static \
      -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT=${SEAWEEDFS_MODULE_VERSION##*-}" .
)

weed_dir="$(cached_build seaweedfs "$SEAWEEDFS_MODULE_VERSION" build_weed)"
printf '%s\n' "$weed_dir/weed"
