#!/usr/bin/env bash
# Installs the Debian tools the test suite runs for real: each consumes something this program renders.
# Safe to re-run; skips apt entirely when every tool is already present.
set -euo pipefail

packages=(
  shellcheck            # every shell script shipped to a server
  cloud-init            # `cloud-init schema` on every user-data document
  yamllint              # rendered YAML
  graphviz              # resource graph picture in the offline preview
  prometheus            # promtool: `check rules` / `test rules` on components/*/files/*.rules.yaml
  prometheus-alertmanager # amtool 0.25: `check-config` on the rendered Alertmanager config (image pinned to match)
  nodejs                # runs tests/crd_schemas/validate.mjs (CRD schemas of rendered custom resources)
  postgresql            # tests/postgres: runs the rendered postgresql.conf, pg_hba.conf, roles.sql; pgbench; tests/supabase: bootstrap SQL (tests/pg_fixture.py)
  postgresql-contrib    # tests/postgres: pg_stat_statements preload, amcheck; tests/supabase: uuid-ossp, pgcrypto
  pgbackrest            # tests/postgres: stanza, backups, PITR and the restore drill with the rendered config
  apache2-utils         # tests/acceptance: ApacheBench, the load generator of the acceptance load run
  openssh-client        # tests/preflight: ssh-keygen, the oracle for the SSH key fingerprints Hetzner shows
  jq                    # tests/postgres (metrics.sh) and scripts/ci (PR comment, drift issue)
  systemd               # systemd-analyze calendar on the rendered backup timers
  qemu-system-x86       # tests/vm: boots each server's rendered user-data under cloud-init in a VM
  qemu-utils            # tests/vm: qemu-img (the image, per-VM overlays, volumes)
  mmdebstrap            # scripts/build-vm-image.sh: the Debian 12 image from Debian's packages
  genisoimage           # tests/vm: the NoCloud seed (ISO labelled cidata)
  socat                 # tests/vm: connects the guest's forwards to the host's loopback services
  iptables              # tests/k3s: loads the rendered metadata-block rules into test network namespaces
  iproute2              # tests/k3s: `ip netns` / veth pairs for the metadata-block test
  util-linux            # tests/k3s: setpriv runs a non-root process against the metadata block
  openssh-server        # tests/k3s: `sshd -T` over the rendered sshd drop-in beside cloud-init's
  dash                  # the node scripts run under /bin/sh = dash on Debian; tests run them with it
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
