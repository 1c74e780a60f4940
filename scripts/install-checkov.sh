#!/usr/bin/env bash
# Prints the path of a checkov executable at the pinned version, installed from PyPI into an
# environment of its own in the tool cache (never the project's .venv: its dependencies are not ours).
# Used by `python -m benchmarks.preview` to compare the offline preview with a static scanner over the
# same rendered Kubernetes objects.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=/dev/null
source scripts/lib/tool-cache.sh
CHECKOV_VERSION=3.3.30

uv=$(scripts/ensure-uv.sh)
build_checkov() {
  local dir=$1
  # relocatable: the environment is built in DIR.partial and then moved to DIR
  "$uv" venv --quiet --relocatable --python "$(.venv/bin/python -c 'import sys; print(sys.executable)')" "$dir/venv"
  "$uv" pip install --quiet --python "$dir/venv/bin/python" "checkov==$CHECKOV_VERSION"
}
dir=$(cached_build checkov "$CHECKOV_VERSION" build_checkov)
echo "$dir/venv/bin/checkov"
