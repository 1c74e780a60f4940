#!/usr/bin/env bash
# Builds the Kubernetes control plane tests/controlplane runs: kube-apiserver of the Kubernetes release
# the pinned k3s carries (K3S_VERSION in components/versions.py without its "+k3sN" suffix) and the etcd
# server that release's go.mod uses, both from the Go module proxy, cached per version
# (scripts/lib/tool-cache.sh). k3s itself cannot be built this way: the proxy refuses the module
# github.com/k3s-io/k3s at every version ("403 Forbidden ... This module version is not available"),
# so this is the documented fallback; see the README's development section.
# Prints the absolute path of each program, one per line: kube-apiserver, then etcd.
# Usage: scripts/build-controlplane.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=/dev/null
. "$root/scripts/lib/tool-cache.sh"

if ! command -v go >/dev/null 2>&1; then
  echo "build-controlplane: go not found; install Go 1.24 or newer (https://go.dev/doc/install) and re-run" >&2
  exit 1
fi
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

k3s_version="$(python3 -c 'import runpy, sys; print(runpy.run_path(sys.argv[1])["K3S_VERSION"])' \
  "$root/components/versions.py")"
kube_version="${k3s_version%%+*}"  # v1.34.10+k3s1 -> v1.34.10
if ! [[ "$kube_version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build-controlplane: cannot read a Kubernetes version from K3S_VERSION=$k3s_version" >&2
  exit 1
fi
kube_minor="${BASH_REMATCH[1]}"
# k8s.io/* staging modules are tagged v0.<minor>.<patch> alongside k8s.io/kubernetes v1.<minor>.<patch>.
staging_version="v0.${kube_version#v1.}"

kubernetes_gomod="$(go mod download -json "k8s.io/kubernetes@$kube_version" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$kubernetes_gomod")"
if [ -z "$etcd_version" ]; then
  echo "build-controlplane: k8s.io/kubernetes $kube_version's go.mod names no go.etcd.io/etcd/server/v3" >&2
  exit 1
fi

# The recipes run as subshells (their temporary module is removed on exit) and chain with && because
# cached_build calls them where `set -e` does not apply.

# k8s.io/kubernetes as a library: its go.mod points every k8s.io/* staging module at ./staging (not in
# the module zip), so the wrapper module pins each of them to the published module of the same release.
build_kube_apiserver() (
  out=$1
  work="$(mktemp -d)" && trap 'rm -rf "$work"' EXIT && cd "$work" &&
    {
      printf 'module controlplane.test/kube-apiserver\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\n' "$kube_version"
      printf 'tool k8s.io/kubernetes/cmd/kube-apiserver\n\nreplace (\n'
      awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }' \
        "$kubernetes_gomod"
      printf ')\n'
    } >go.mod &&
    go mod tidy &&
    go build -trimpath -o "$out/kube-apiserver" -ldflags "-s -w \
      -X $version_pkg.gitVersion=$kube_version -X $version_pkg.gitMajor=1 \
      -X $version_pkg.gitMinor=$kube_minor -X $version_pkg.gitTreeState=clean" \
      k8s.io/kubernetes/cmd/kube-apiserver
)
version_pkg=k8s.io/component-base/version

# etcd's own main is a single call of etcdmain.Main; the server module carries no replace directives.
build_etcd() (
  out=$1
  work="$(mktemp -d)" && trap 'rm -rf "$work"' EXIT && cd "$work" &&
    printf 'module controlplane.test/etcd\n\ngo 1.23.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
      "$etcd_version" >go.mod &&
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' \
      >main.go &&
    go mod tidy &&
    go build -trimpath -o "$out/etcd" -ldflags "-s -w" .
)

apiserver_dir="$(cached_build kube-apiserver "$kube_version" build_kube_apiserver)"
etcd_dir="$(cached_build etcd "$etcd_version" build_etcd)"
printf '%s\n' "$apiserver_dir/kube-apiserver" "$etcd_dir/etcd"
