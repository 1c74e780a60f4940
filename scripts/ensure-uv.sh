#!/usr/bin/env bash
# Prints the path of a uv binary, installing uv from PyPI into ./.tools when none is on PATH.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then
  command -v uv
  exit 0
fi
tools_dir="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if [ ! -x "$tools_dir/bin/uv" ]; then
  python3 -m venv "$tools_dir" >&2
  "$tools_dir/bin/pip" install --quiet "uv>=0.5,<1" >&2
fi
echo "$tools_dir/bin/uv"
