#!/usr/bin/env bash
# Builds what tests/cli runs, from the Go module proxy, cached per version (scripts/lib/tool-cache.sh),
# and prints two folders, one per line:
#   1. the Pulumi CLI: `pulumi`, engine included;
#   2. a stand-in Python language host: `pulumi-language-python` (our tests/cli/langhost/main.go, built
#      against the same sdk/v3) and the SDK's own `pulumi-language-python-exec` beside it.
#
# Version: the CLI release at or just after the Python SDK that uv.lock pins. The proxy does not serve
# github.com/pulumi/pulumi/pkg/v3 (the CLI's module) at v3.271.0-v3.273.0 ("403 Forbidden ... This module
# version is not available."), so the SDK's own 3.272.0 cannot be built; 3.274.0 is the nearest release it
# serves. A newer CLI runs an older SDK's program (the reverse is what Pulumi does not promise). The script
# refuses to build when uv.lock moves past PULUMI_CLI_VERSION, so a bump is a one-line change here.
#
# Not built, and why (the README's development section says the same):
# - Pulumi's Python language host: the proxy refuses its module
#   (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) at every version, hence the
#   stand-in, which leaves the environment and the program to the SDK's own code (see its comment);
# - provider plugins: the proxy refuses the pulumi-random, pulumi-tls and pulumi-hcloud provider
#   modules, and serves pulumi-kubernetes' only at one pseudo-version from January 2026, not 4.34.2.
# There is no policy-analyzer program to build: since CLI 3.221 the engine starts a Python policy pack
# through the language host's RunPlugin (`python -u -m pulumi.policy`), from the pulumi and pulumi-policy
# wheels the project already installs.
#
# Usage: scripts/build-pulumi.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=/dev/null
. "$root/scripts/lib/tool-cache.sh"

PULUMI_CLI_VERSION=3.274.0

if ! command -v go >/dev/null 2>&1; then
  echo "build-pulumi: go not found; install Go 1.26 or newer (https://go.dev/doc/install) and re-run" >&2
  exit 1
fi
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

sdk_version="$(python3 - "$root/uv.lock" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as lock:
    print(next(p["version"] for p in tomllib.load(lock)["package"] if p["name"] == "pulumi"))
EOF
)"
if ! python3 - "$sdk_version" "$PULUMI_CLI_VERSION" <<'EOF'
import sys
sdk, cli = (tuple(int(part) for part in v.split(".")) for v in sys.argv[1:])
sys.exit(0 if sdk <= cli else 1)
EOF
then
  echo "build-pulumi: uv.lock pins the pulumi SDK $sdk_version, newer than the CLI this script builds" \
    "($PULUMI_CLI_VERSION); raise PULUMI_CLI_VERSION in scripts/build-pulumi.sh to a release >= $sdk_version" >&2
  exit 1
fi

# pkg/v3's go.mod points sdk/v3 at ../sdk (the repository's layout) and replaces atotto/clipboard; a
# module's replace directives apply only when it is the main module. So each recipe lays the two module
# trees out side by side in a scratch folder and builds inside pkg/, with upstream's own go.mod and go.sum
# unchanged (the stand-in is put into that tree too, so it gets the very same dependency versions).
# Flags as upstream's release build: the version stamp `pulumi version` prints, tags osusergo,grpcnotrace.
# Recipes are subshells, so their scratch folder goes on exit; && because cached_build calls them where
# `set -e` does not apply.
lay_out_sources() {
  local pkg_dir sdk_dir
  pkg_dir="$(go_module_dir github.com/pulumi/pulumi/pkg/v3 "v$PULUMI_CLI_VERSION")" &&
    sdk_dir="$(go_module_dir github.com/pulumi/pulumi/sdk/v3 "v$PULUMI_CLI_VERSION")" &&
    cp -R "$pkg_dir" "$1/pkg" && cp -R "$sdk_dir" "$1/sdk" && chmod -R u+w "$1"
}

go_build() {
  go build -trimpath -tags osusergo,grpcnotrace "$@"
}

build_pulumi() (
  out=$1
  work="$(mktemp -d)" && trap 'rm -rf "$work"' EXIT && lay_out_sources "$work" && cd "$work/pkg" &&
    go_build -o "$out/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_CLI_VERSION" \
      ./cmd/pulumi
)

build_language_host() (
  out=$1
  work="$(mktemp -d)" && trap 'rm -rf "$work"' EXIT && lay_out_sources "$work" && cd "$work/pkg" &&
    mkdir cmd/pulumi-language-python && cp "$standin" cmd/pulumi-language-python/main.go &&
    go_build -o "$out/pulumi-language-python" -ldflags "-s -w -X main.version=$PULUMI_CLI_VERSION" \
      ./cmd/pulumi-language-python &&
    install -m 0755 "$work/sdk/python/cmd/pulumi-language-python-exec" "$out/"
)
standin="$root/tests/cli/langhost/main.go"
standin_hash="$(sha256sum "$standin" | cut -c1-12)"

cached_build pulumi "$PULUMI_CLI_VERSION" build_pulumi
cached_build pulumi-language-python-standin "$PULUMI_CLI_VERSION-$standin_hash" build_language_host
