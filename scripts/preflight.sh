#!/usr/bin/env bash
# Reads the team's Hetzner project (read-only) and reports what would stop `pulumi up` of a stack.
# Usage: HCLOUD_TOKEN=... scripts/preflight.sh STACK      (exit 0 nothing blocks, 1 blockers, 2 bad input)
set -euo pipefail
cd "$(dirname "$0")/.."
uv=$(scripts/bootstrap-python.sh)
exec "$uv" run --frozen python -m preflight "$@"
