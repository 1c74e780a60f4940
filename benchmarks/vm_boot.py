"""Boot-to-ready of the database server in a VM: the rendered user-data vs an unhardened baseline.

For each round, a fresh VM (tests/vm/database.py, same image, networks and host services) boots
  - hardened: the program's rendered user-data for the database server;
  - baseline: a cloud-init that only installs Debian's PostgreSQL and lets it listen on the private
    address with TLS (Debian's self-signed certificate), the least a database server needs;
and the benchmark records the seconds from VM start to the first TLS handshake on PostgreSQL's port
(from the host, through the forward), and, for the hardened server, to its first full backup being
complete in the S3 repository (its backup.manifest in the bucket). Reported: medians with min and max,
the per-round ratio hardened / baseline (the cost of the hardening), and the run's provenance
(benchmarks/provenance.py: command, machine, date, other processes' load, whether it may be quoted).

    python -m benchmarks.vm_boot [--rounds 3]

Needs what tests/vm needs (KVM, the image from scripts/build-vm-image.sh). Slow: six VM boots.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import struct
import tempfile
import time
from pathlib import Path

from tests.vm.database import DatabaseVm, database_run, database_vm

from .provenance import LoadMonitor, Provenance, Spread

SSL_REQUEST = struct.pack("!ii", 8, 80877103)
BASELINE_USER_DATA = """#cloud-config
packages: [postgresql]
runcmd:
  - [sh, -c, "echo \\"listen_addresses = '*'\\" >/etc/postgresql/15/main/conf.d/listen.conf"]
  - [sh, -c, "echo 'hostssl all all 0.0.0.0/0 scram-sha-256' >>/etc/postgresql/15/main/pg_hba.conf"]
  - [systemctl, restart, postgresql@15-main]
"""


def tls_accepted(port: int, host_name: str, ca_pem: str | None) -> bool:
    """One TLS handshake with PostgreSQL through the forward: SSLRequest, then TLS (verified against
    `ca_pem` when given)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(SSL_REQUEST)
            if sock.recv(1) != b"S":
                return False
            context = (
                ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl._create_unverified_context()
            )
            with context.wrap_socket(sock, server_hostname=host_name if ca_pem else None):
                return True
    except OSError:
        return False


def first_backup_done(vm: DatabaseVm) -> bool:
    return any(key.endswith("F/backup.manifest") for key in vm.repository_keys())


def _boot(workdir: Path, user_data: str | None, timeout: float = 3600) -> tuple[float, float | None]:
    """Seconds from VM start to TLS accepted, and to the first backup (None for the baseline)."""
    with database_vm(workdir, database_run(), user_data) as vm:
        started = vm.machine.started_at
        ca = vm.ca_pem if user_data is None else None
        tls_at = backup_at = None
        while tls_at is None or (user_data is None and backup_at is None):
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"not ready after {timeout} s:\n{vm.machine.console_tail()}")
            if tls_at is None and tls_accepted(vm.pg_port, vm.server.private_ip, ca):
                tls_at = time.monotonic() - started
            if user_data is None and backup_at is None and first_backup_done(vm):
                backup_at = time.monotonic() - started
            time.sleep(1)
        return tls_at, backup_at


def main(rounds: int = 3) -> None:
    hardened_tls, hardened_backup, baseline_tls = [], [], []
    with LoadMonitor() as monitor, tempfile.TemporaryDirectory(prefix="vm-boot-") as scratch:
        for index in range(rounds):
            tls_s, backup_s = _boot(Path(scratch) / f"hardened-{index}", None)
            hardened_tls.append(tls_s)
            hardened_backup.append(backup_s or 0.0)
            baseline_tls.append(_boot(Path(scratch) / f"baseline-{index}", BASELINE_USER_DATA)[0])
            print(f"round {index + 1}: hardened TLS {tls_s:.0f} s, first backup {backup_s:.0f} s; "
                  f"baseline TLS {baseline_tls[-1]:.0f} s", flush=True)  # fmt: skip
    tls_h, backup_h, tls_b = (Spread.of(v) for v in (hardened_tls, hardened_backup, baseline_tls))
    print(f"database VM boot to TLS accept: hardened {tls_h.text(' s', 0)}, baseline {tls_b.text(' s', 0)}")
    print(f"hardened boot to first full backup in S3: {backup_h.text(' s', 0)}")
    ratio = Spread.of(h / b for h, b in zip(hardened_tls, baseline_tls, strict=True))
    print(f"cost of the hardening (hardened / baseline, to TLS accept, per round): {ratio.text('x')}")
    print(Provenance.of(monitor.result()).text())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args().rounds)
