#!/usr/bin/env bash
# Makes sure this checkout has its Python environment (.venv, pinned by uv.lock) and prints the uv path.
# On a fresh Debian machine it first installs python3 and venv support with apt.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "installing python3 and python3-venv with apt" >&2
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3 python3-venv >&2
fi

uv=$(scripts/ensure-uv.sh)
"$uv" sync --frozen --all-groups --quiet >&2
echo "$uv"
