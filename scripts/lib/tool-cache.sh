#!/usr/bin/env bash
# Sourced by the scripts that build the real programs the tests run against (Go programs from the
# module proxy, the VM image). A finished build lives in a per-tool, per-version folder under the
# user's cache, so a fresh clone of the project finds it and a version bump builds anew; Go's own
# module and build caches (under $HOME) make a rebuild of a known version cheap. Nothing built is
# ever written into the repository.

tool_cache_root() {
  printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/k3s-hetzner-platform"
}

# cached_build NAME VERSION RECIPE [ARGS...]
# Prints the folder that holds NAME at VERSION. Runs `RECIPE DIR ARGS...` (a shell function that fills
# DIR; its output goes to stderr) only when that folder is not complete yet. A failed recipe leaves
# nothing behind; concurrent callers wait for one build instead of racing.
cached_build() {
  local name=$1 version=$2 recipe=$3
  shift 3
  local dir lock_fd
  dir="$(tool_cache_root)/$name/$version"
  if [ ! -e "$dir/.complete" ]; then
    mkdir -p "$(dirname "$dir")"
    exec {lock_fd}>"$dir.lock"
    flock "$lock_fd"
    if [ ! -e "$dir/.complete" ]; then
      rm -rf "$dir" "$dir.partial"
      mkdir -p "$dir.partial"
      if ! "$recipe" "$dir.partial" "$@" >&2; then
        rm -rf "$dir.partial"
        flock -u "$lock_fd"
        echo "building $name $version failed (see above)" >&2
        return 1
      fi
      mv "$dir.partial" "$dir"
      touch "$dir/.complete"
    fi
    flock -u "$lock_fd"
  fi
  printf '%s\n' "$dir"
}

# go_module_dir MODULE VERSION
# Downloads MODULE@VERSION through the Go module proxy into Go's module cache (read-only there) and
# prints the folder of its source.
go_module_dir() {
  go mod download -json "$1@$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}
