#!/usr/bin/env bash
# Builds the Debian 12 virtual machine the tests under tests/vm boot with the rendered user-data, and the
# local apt repository the guest installs from. Prints the folder that holds them:
#   vmlinuz, initrd.img   the guest's kernel (booted directly by QEMU; Hetzner boots the same via GRUB)
#   root.qcow2            root filesystem (ext4, no partition table), never written to: each VM gets an overlay
#   repo/                 Debian's .deb files of every package the user-data installs, with a Packages index
#   packages.txt          what the image holds (dpkg -l), for the report
# Made with mmdebstrap from the Debian mirror this machine's apt uses, cached per recipe
# (scripts/lib/tool-cache.sh): the version is a hash of this script and scripts/vm-image/, so a changed
# recipe builds anew. Needs root (mmdebstrap's root mode) and the tools scripts/install-debian-tools.sh
# installs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$here/lib/tool-cache.sh"

SUITE=bookworm

# What Hetzner's Debian 12 image has that the user-data relies on (cloud-init, sshd, curl, ifupdown with
# a DHCP client, udev, the util-linux/e2fsprogs/iproute2/procps tools the scripts call), plus the
# kernel and QEMU's guest agent, which the tests use to look inside the guest.
IMAGE_PACKAGES=(
  linux-image-cloud-amd64 initramfs-tools systemd-sysv udev dbus cloud-init
  openssh-server curl ca-certificates gnupg lsb-release iproute2 ifupdown isc-dhcp-client
  procps e2fsprogs util-linux kmod less sudo locales python3 qemu-guest-agent
)

# Every package the rendered user-data installs (components/postgres/files/bootstrap.sh and
# components/k3s/user_data.py), PostgreSQL 15 as Debian 12 ships it, and the `postgresql` metapackage
# the benchmark's unhardened baseline installs. Downloaded with their dependencies and Recommends
# (cloud-init's `packages:` installs Recommends) into the local apt repository.
GUEST_PACKAGES=(
  postgresql postgresql-common postgresql-15 postgresql-client-15 postgresql-15-wal2json pgbackrest
  prometheus-node-exporter jq ca-certificates iptables curl openssl unattended-upgrades
)

host_sources() {
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -s "$file" ] && printf '%s\n' "$file"
  done
}

# The Release file apt wants next to a flat repository's Packages index (unsigned: the guest's source
# line says trusted=yes; the .deb files are Debian's own, checked by the host's apt when downloaded).
release_file() {
  printf 'Origin: vmtest\nLabel: vmtest\nSuite: local\nCodename: local\nDate: %s\nSHA256:\n' "$(date -Ru)"
  printf ' %s %s Packages\n' "$(sha256sum <Packages | cut -d' ' -f1)" "$(stat -c %s Packages)"
}

recipe() (
  out=$1
  root=$(mktemp -d "${TMPDIR:-/tmp}/vm-image.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$out/repo/pool"
  mapfile -t sources < <(host_sources)
  [ "${#sources[@]}" -gt 0 ] || { echo "no apt sources on this machine to build the image from" >&2; exit 1; }

  # shellcheck disable=SC2016 # "$1" in a hook is the chroot, expanded by the shell mmdebstrap runs it in
  mmdebstrap --mode=root --variant=minbase --skip=output/dev \
    --include="$(IFS=,; echo "${IMAGE_PACKAGES[*]}")" \
    --customize-hook="chroot \"\$1\" apt-get install -y -q --download-only ${GUEST_PACKAGES[*]}" \
    --customize-hook="mv \"\$1\"/var/cache/apt/archives/*.deb '$out/repo/pool/'" \
    --customize-hook="install -m 0755 '$here/vm-image/vmtest-environment' \"\$1\"/usr/local/sbin/" \
    --customize-hook="install -m 0644 '$here/vm-image/vmtest-environment.service' \"\$1\"/etc/systemd/system/" \
    --customize-hook="install -m 0644 '$here/vm-image/90-vmtest.cfg' \"\$1\"/etc/cloud/cloud.cfg.d/" \
    --customize-hook='chroot "$1" systemctl enable vmtest-environment.service' \
    --customize-hook='sed -i "s/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/" "$1"/etc/locale.gen && chroot "$1" locale-gen' \
    --customize-hook='echo "/dev/vda / ext4 defaults,errors=remount-ro 0 1" >"$1"/etc/fstab' \
    --customize-hook='rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/* "$1"/etc/hostname' \
    --customize-hook='chroot "$1" dpkg -l >"$1"/root/packages.txt' \
    "$SUITE" "$root" "${sources[@]}"

  cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
  cp "$root"/boot/initrd.img-* "$out/initrd.img"
  mv "$root/root/packages.txt" "$out/packages.txt"
  (cd "$out/repo" && dpkg-scanpackages --multiversion pool /dev/null >Packages 2>/dev/null && release_file >Release)
  mkfs.ext4 -q -L root -d "$root" "$out/root.img" 4G
  qemu-img convert -O qcow2 "$out/root.img" "$out/root.qcow2"
  rm "$out/root.img"
)

for tool in mmdebstrap qemu-img mkfs.ext4 dpkg-scanpackages; do
  command -v "$tool" >/dev/null ||
    { echo "$tool is missing: run scripts/install-debian-tools.sh" >&2; exit 1; }
done
version=$(cat "$0" "$here"/vm-image/* | sha256sum | cut -c1-16)
cached_build vm-image "$version" recipe
