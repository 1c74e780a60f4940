#!/usr/bin/env bash
# Installs the Debian tools the test suite runs for real: each consumes something this program renders.
# Safe to re-run; skips apt entirely when every tool is already present.
set -euo pipefail

packages=(
  shellcheck            # every shell script shipped to a server
  cloud-init            # `cloud-init schema` on every user-data document
  yamllint              # rendered YAML
  graphviz              # resource graph picture in the offline preview
  jq                    # the CI helper scripts in scripts/ci (PR comment, drift issue)
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
