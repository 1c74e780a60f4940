#!/usr/bin/env bash
# The plan's acceptance gates, measured on a deployed stack (docs/acceptance.md).
# Usage: scripts/acceptance.sh STACK [--phase N] [--kubeconfig FILE] [--db-shell 'ssh root@IP'] [--format markdown]
set -euo pipefail
cd "$(dirname "$0")/.."
uv=$(scripts/bootstrap-python.sh)
exec "$uv" run --frozen python -m acceptance "$@"
