#!/usr/bin/env bash
# Prints the environment the Pulumi CLI needs for this project; use it as: eval "$(scripts/pulumi-env.sh)"
#
# - `uv` on PATH: Pulumi.yaml's `toolchain: uv` runs the program through uv, and the CLI (3.227 or
#   newer) runs the policy pack through uv too because it finds ../uv.lock; both look uv up on PATH
#   ("Could not find `uv` executable" otherwise). scripts/ensure-uv.sh may have put uv in .tools/bin.
# - UV_FROZEN=1: before each program or pack start the toolchain runs `uv sync --inexact`; frozen, it
#   installs exactly what uv.lock says and never re-resolves or rewrites uv.lock. It installs only the
#   program's dependencies (pyproject.toml: default-groups = []), never the dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=$(scripts/bootstrap-python.sh)
# shellcheck disable=SC2016 # $PATH is expanded by the eval of the caller, not here
printf 'export PATH=%q:"$PATH"\n' "$(dirname "$uv")"
echo 'export UV_FROZEN=1'
