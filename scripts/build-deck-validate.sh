#!/usr/bin/env bash
# Builds deck-file-validate (tests/supabase/deckvalidate/main.go: decK's offline `deck file validate`
# steps on go-database-reconciler, the library decK validates with) from the Go module proxy, cached per
# version (scripts/lib/tool-cache.sh), and prints the folder that holds the binary.
#
# Version: go-database-reconciler v1.17.0 (tagged 2024-12-11, with go-kong v0.61.0), the reconciler of
# Kong Gateway 3.9's release month (the gateway is pinned at kong/kong:3.9.3 in components/versions.py);
# its file schema is declarative _format_version "3.0", which every Kong 3.x reads. The proxy refuses
# decK itself (github.com/kong/deck, e.g. v1.42.1, v1.43.0, v1.45.0: "403 Forbidden ... This module version
# is not available.") and go-database-reconciler v1.20.0 and v1.21.0 likewise.
#
# Usage: scripts/build-deck-validate.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=/dev/null
. "$root/scripts/lib/tool-cache.sh"

RECONCILER_VERSION=v1.17.0

if ! command -v go >/dev/null 2>&1; then
  echo "build-deck-validate: go not found; install Go 1.26 or newer (https://go.dev/doc/install) and re-run" >&2
  exit 1
fi
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

# The command is built inside a copy of the reconciler's module, so upstream's own go.mod and go.sum
# (and its replace directive) pick every dependency version. Recipe is a subshell: its scratch folder
# goes on exit; && because cached_build calls it where `set -e` does not apply.
build_deck_validate() (
  out=$1
  work="$(mktemp -d)" && trap 'rm -rf "$work"' EXIT &&
    module="$(go_module_dir github.com/kong/go-database-reconciler "$RECONCILER_VERSION")" &&
    cp -R "$module" "$work/src" && chmod -R u+w "$work/src" && mkdir -p "$work/src/cmd/deck-file-validate" &&
    cp "$source" "$work/src/cmd/deck-file-validate/main.go" && cd "$work/src" &&
    go build -trimpath -ldflags "-s -w" -o "$out/deck-file-validate" ./cmd/deck-file-validate
)
source="$root/tests/supabase/deckvalidate/main.go"
source_hash="$(sha256sum "$source" | cut -c1-12)"

cached_build deck-file-validate "$RECONCILER_VERSION-$source_hash" build_deck_validate
