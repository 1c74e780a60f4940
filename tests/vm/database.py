"""Boots the database server's rendered user-data in a VM, with the services it needs on the host.

Shared by tests/vm/test_database_server.py and benchmarks/vm_boot.py. What the test changes against
production, and why (the PostgreSQL project's apt repository is out of reach of this machine):
- `postgres.majorVersion` is 15, Debian 12's PostgreSQL, whose packages the local repository serves;
- `apt.postgresql.org.sh` (which adds that repository's apt source; postgresql-common ships it) is
  replaced in the guest by a stand-in that records its arguments and adds nothing, so apt keeps the
  local Debian repository as its only source (environment.py: dpkg-divert, the user-data is untouched);
- `postgres.backup.s3Endpoint` names moto's S3 server, which the test runs on the host's loopback.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from offline.program import ProgramRun, run_program

from .environment import Environment
from .image import vm_image
from .machine import GuestService, Machine, MachineSpec, Volume
from .rendered import RenderedServer, output, rendered_server, servers_with_role
from .services import FileServer, MotoS3, ServicesCa, free_port

S3_HOST = "objects.vmtest.test"
APT_ADDRESS = GuestService("198.51.100.80", 80, 0)
S3_ADDRESS = GuestService("198.51.100.82", 443, 0)
OVERRIDES = {"postgres.majorVersion": 15, "postgres.backup.s3Endpoint": S3_HOST}
PGDG_SETUP = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh"
PGDG_STAND_IN_LOG = "/var/log/vmtest-pgdg-stand-in.log"
PGDG_STAND_IN = f"""#!/bin/sh
# vmtest stand-in for {PGDG_SETUP}: the PostgreSQL project's apt repository is out of reach of the
# test, so no source is added; PostgreSQL comes from the local repository of Debian's packages.
echo "$*" >>{PGDG_STAND_IN_LOG}
"""
APT_SOURCE = f"deb [trusted=yes] http://{APT_ADDRESS.guest_ip}/ ./"


def database_run() -> ProgramRun:
    return run_program("dev", overrides=OVERRIDES)


@dataclass
class DatabaseVm:
    machine: Machine
    server: RenderedServer
    ca_pem: str
    """The program's database CA (what the application verifies the server with)."""
    app_password: str
    app_user: str
    database: str
    pg_port: int
    """Host loopback port forwarded to the server's PostgreSQL port on its private address."""
    s3: Any
    bucket: str
    apt: FileServer

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL as the postgres superuser over the local socket in the guest."""
        quoted = sql.replace("'", "'\\''")
        command = f"runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d {database} -c '{quoted}'"
        return self.machine.run(command).check().stdout

    def repository_keys(self) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _setting(text: str, key: str) -> str:
    """`key=value` from a rendered configuration or environment file."""
    match = re.search(rf"^{re.escape(key)}=(.*)$", text, re.MULTILINE)
    assert match, f"{key} not in the rendered file"
    return match.group(1).strip("'")


@contextlib.contextmanager
def database_vm(workdir: Path, run: ProgramRun, user_data: str | None = None) -> Iterator[DatabaseVm]:
    """A started (not yet ready) database VM with its host services; `user_data` replaces the rendered
    document (the benchmark's unhardened baseline)."""
    (registration,) = servers_with_role(run, "database")
    server = rendered_server(run, registration)
    pgbackrest_conf = server.file("/etc/platform-postgres/pgbackrest.conf")
    assert _setting(pgbackrest_conf, "repo1-s3-endpoint") == S3_HOST
    bucket = _setting(pgbackrest_conf, "repo1-s3-bucket")
    env = server.file("/usr/local/lib/platform-postgres/postgres.env")
    volume_id = int(_setting(env, "VOLUME_DEVICE").rsplit("_", 1)[1])

    image = vm_image()
    workdir.mkdir(parents=True, exist_ok=True)
    ca = ServicesCa()
    tls = ca.issue([S3_HOST, "127.0.0.1"], workdir / "tls")
    ca_file = workdir / "tls" / "services-ca.crt"
    ca_file.write_text(ca.pem)
    with contextlib.ExitStack() as stack:
        apt = FileServer(folder=image.repository)
        stack.callback(apt.close)
        moto = MotoS3(tls, workdir / "moto.log")
        stack.callback(moto.close)
        s3 = boto3.client(
            "s3",
            endpoint_url=f"https://127.0.0.1:{moto.port}",
            region_name="us-east-1",
            aws_access_key_id="vmtest",
            aws_secret_access_key="vmtest",
            verify=str(ca_file),
        )
        s3.create_bucket(Bucket=bucket)
        environment = Environment(
            apt_source=APT_SOURCE,
            ca_pem=ca.pem,
            hosts={S3_HOST: S3_ADDRESS.guest_ip},
            stand_ins={PGDG_SETUP: PGDG_STAND_IN},
        )
        pg_port = free_port()
        spec = MachineSpec(
            name=server.name,
            user_data=server.user_data if user_data is None else user_data,
            private_ip=server.private_ip,
            private_network=server.private_network,
            environment=environment.tar(),
            guest_services=[
                GuestService(APT_ADDRESS.guest_ip, APT_ADDRESS.guest_port, apt.port),
                GuestService(S3_ADDRESS.guest_ip, S3_ADDRESS.guest_port, moto.port),
            ],
            host_forwards={5432: pg_port},
            volume=Volume.create(volume_id, workdir / "volume.qcow2"),
        )
        machine = Machine(image, spec, workdir / "vm")
        stack.callback(machine.stop)
        machine.start()
        yield DatabaseVm(
            machine=machine,
            server=server,
            ca_pem=output(run, "postgres-ca", "certPem"),
            app_password=output(run, "postgres-app-password", "result"),
            app_user=_setting(env, "APP_USER"),
            database=_setting(env, "DATABASE"),
            pg_port=pg_port,
            s3=s3,
            bucket=bucket,
            apt=apt,
        )
