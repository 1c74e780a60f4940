#!/usr/bin/env bash
# Makes sure this checkout has its Python environment (.venv, pinned by uv.lock) and prints the uv path.
# On a fresh Debian machine it first installs python3 and venv support with apt.
# Installing compiles every module to bytecode (the generated pulumi-kubernetes modules alone take
# seconds to compile on first import), the project's own sources, and the lean bytecode the offline
# preview loads the provider SDKs from (offline/lean_imports.py). A stamp of uv.lock, pyproject.toml,
# this script and lean_imports.py skips all that when nothing changed, so scripts that call this on
# every run (scripts/preview.sh) start at once; `rm -rf .venv` forces a fresh install.
# The environment is built on the distribution's python3 (/usr/bin/python3) when pyproject.toml allows
# its version: Debian links it statically and builds it with profile-guided optimisation, where a
# source build (pyenv's default, often first on PATH) has neither; `python -m benchmarks.interpreter`
# compares the two on the preview. UV_PYTHON, when set, chooses instead.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv/.bootstrap-stamp
wanted=$(cat uv.lock pyproject.toml scripts/bootstrap-python.sh offline/lean_imports.py | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  scripts/ensure-uv.sh
  exit 0
fi

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "installing python3 and python3-venv with apt" >&2
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3 python3-venv >&2
fi

uv=$(scripts/ensure-uv.sh)
sync=("$uv" sync --frozen --all-groups --quiet --compile-bytecode)
# uv refuses an interpreter outside requires-python before it touches .venv: then its own choice.
if [ -n "${UV_PYTHON:-}" ] || [ ! -x /usr/bin/python3 ] || ! "${sync[@]}" --python /usr/bin/python3 2>/dev/null; then
  "${sync[@]}" >&2
fi
.venv/bin/python -m compileall -q -j 0 -x '/(\.venv|\.tools|build|node_modules)/' . >&2
.venv/bin/python -c "import offline.lean_imports as lean; lean.compile_packages()" >&2
echo "$wanted" > "$stamp"
echo "$uv"
