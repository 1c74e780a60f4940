#!/usr/bin/env bash
# The VM boot tests (tests/vm): each server's rendered user-data under cloud-init in a QEMU virtual
# machine, with the Debian tools and the cached image they need. With hardware KVM they take minutes;
# where /dev/kvm is PVM (no VT-x/AMD-V) QEMU emulates the CPU and they take over an hour (docs/vm-tests.md).
# Usage: scripts/test-vm.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
uv=$(scripts/bootstrap-python.sh)
scripts/install-debian-tools.sh
exec "$uv" run --frozen pytest -m vm tests/vm "$@"
