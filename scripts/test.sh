#!/usr/bin/env bash
# The whole test suite: lint, types, and every test, with the real tools (Debian packages, Node tools,
# postgres-meta, Renovate) installed first.
# Usage: scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
uv=$(scripts/bootstrap-python.sh)
scripts/install-debian-tools.sh
scripts/install-crd-schemas.sh
scripts/install-node-tools.sh
scripts/install-postgres-meta.sh >/dev/null
scripts/build-controlplane.sh >/dev/null  # kube-apiserver + etcd for tests/controlplane (cached per version)
scripts/build-pulumi.sh >/dev/null        # the Pulumi CLI (+ stand-in language host) for tests/cli (cached)
scripts/build-deck-validate.sh >/dev/null # decK's offline validation of kong.yml for tests/supabase (cached)
scripts/build-seaweedfs.sh >/dev/null     # SeaweedFS `weed` for the object-store acceptance test (cached)
"$uv" run --frozen ruff check .
"$uv" run --frozen ruff format --check .
"$uv" run --frozen mypy .
# The VM boot tests (tests/vm) run apart, with scripts/test-vm.sh: on a machine without hardware
# virtualisation they take over an hour of software emulation (docs/vm-tests.md).
exec "$uv" run --frozen pytest -m "not vm" "$@"
