#!/usr/bin/env bash
# Installs postgres-meta (npm package @supabase/postgres-meta), exactly as pinned in
# scripts/postgres-meta/package-lock.json, into the per-version tool cache (scripts/lib/tool-cache.sh)
# and prints the folder of the package, whose dist/server/server.js is the program the
# supabase/postgres-meta image runs. tests/supabase/test_postgres_meta.py starts it against the
# database the VM and the bootstrap Job set up. Safe to re-run: a finished install is reused.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
. "$here/lib/tool-cache.sh"
lock="$here/postgres-meta/package-lock.json"

if ! command -v npm >/dev/null 2>&1; then
  echo "install-postgres-meta: npm not found; install Node.js 20 or newer (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "install-postgres-meta: Node.js $(node --version) is too old; postgres-meta needs Node.js 20 or newer" >&2
  exit 1
fi

version="$(node -p 'require(process.argv[1]).packages["node_modules/@supabase/postgres-meta"].version' "$lock")"
# The lock file's digest is part of the cache key: a changed dependency tree installs anew.
key="$version-$(sha256sum "$lock" | cut -c1-12)"

install_recipe() {
  local dir=$1
  cp "$here/postgres-meta/package.json" "$lock" "$dir/"
  npm ci --prefix "$dir" --omit=dev --no-audit --no-fund --loglevel=error
}

dir="$(cached_build postgres-meta "$key" install_recipe)"
printf '%s\n' "$dir/node_modules/@supabase/postgres-meta"
