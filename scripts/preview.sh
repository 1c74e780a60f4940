#!/usr/bin/env bash
# The offline preview of a stack (default: dev): no cloud account, no Pulumi CLI needed.
# Usage: scripts/preview.sh [stack] [preview options, e.g. --out build/dev --format markdown, or --fresh:
#        as the engine previews a stack that does not exist yet]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap-python.sh >/dev/null
stack=${1:-dev}
[ "$#" -gt 0 ] && shift
# The environment is in sync (bootstrap-python.sh): its interpreter directly, without `uv run`'s
# second sync check.
exec .venv/bin/python -m offline preview "$stack" "$@"
