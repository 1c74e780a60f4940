#!/usr/bin/env bash
# Installs the CRD validators in tests/crd_schemas (pinned by its package-lock.json) for tests/k8s_schema.py.
# Safe to re-run; does nothing when node_modules is newer than the lock file.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/crd_schemas"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install Node.js 18+ (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
  exit 0  # installed after the lock file last changed
fi
npm ci --prefix "$dir" --no-audit --no-fund --omit-lockfile-registry-resolved --loglevel=error
