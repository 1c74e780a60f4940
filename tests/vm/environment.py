"""The test environment a VM gets before cloud-init runs: what Hetzner's network gives a real server.

A real server has an apt mirror, DNS and the public CAs; the test VM instead gets, as a tar the image's
vmtest-environment unit unpacks (scripts/vm-image/):
- an apt source for the local repository the host serves (Debian's packages, scripts/build-vm-image.sh);
- /etc/hosts names for the services the test serves on the host's loopback (the k3s download host,
  the S3 endpoint), pointing at the `guestfwd` addresses that lead to them;
- the test's CA in the system trust store, so HTTPS to those services verifies;
- stand-ins for programs that would reach the Internet, put in place with `dpkg-divert`, so the
  package that ships the real one installs it beside the stand-in instead of over it.
Nothing here changes the user-data.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

SETUP = """#!/bin/sh
# Written by tests/vm/environment.py; run by vmtest-environment before cloud-init, on every boot.
set -eu
grep -q '# vmtest$' /etc/hosts || sed 's/$/ # vmtest/' /etc/vmtest/hosts >>/etc/hosts
# The test CA beside the public ones (update-ca-certificates keeps it on later runs; appending here
# spares a full rebuild of the bundle at every boot).
bundle=/etc/ssl/certs/ca-certificates.crt ca=/usr/local/share/ca-certificates/vmtest-ca.crt
grep -q vmtest "$bundle" || { echo '# vmtest'; cat "$ca"; } >>"$bundle"
for stand_in in /etc/vmtest/stand-ins/*; do
  [ -e "$stand_in" ] || continue
  target=$(cat "$stand_in/path")
  dpkg-divert --quiet --local --rename --divert "$target.distrib" --add "$target"
  install -D -m 0755 "$stand_in/program" "$target"
done
"""


@dataclass
class Environment:
    apt_source: str
    """A sources.list line for the local repository."""
    ca_pem: str
    hosts: dict[str, str] = field(default_factory=dict)
    """name -> guest-side address."""
    stand_ins: dict[str, str] = field(default_factory=dict)
    """absolute path -> the program that stands in for it."""

    def tar(self) -> bytes:
        files: dict[str, tuple[str, int]] = {
            "etc/vmtest/setup": (SETUP, 0o755),
            "etc/vmtest/hosts": ("".join(f"{ip} {name}\n" for name, ip in sorted(self.hosts.items())), 0o644),
            "etc/apt/sources.list.d/vmtest.list": (self.apt_source + "\n", 0o644),
            "usr/local/share/ca-certificates/vmtest-ca.crt": (self.ca_pem, 0o644),
        }
        for index, (path, program) in enumerate(sorted(self.stand_ins.items())):
            folder = f"etc/vmtest/stand-ins/{index}-{PurePosixPath(path).name}"
            files[f"{folder}/path"] = (path, 0o644)
            files[f"{folder}/program"] = (program, 0o755)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, (content, mode) in files.items():
                data = content.encode()
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), mode
                archive.addfile(info, io.BytesIO(data))
        return buffer.getvalue()
