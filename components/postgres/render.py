"""Renders the files the database host receives from the real files in `files/`.

Everything host-specific is a parameter: `HostLayout` says where things live (Debian's paths on the
VM, a scratch directory in the tests), `DatabaseSpec` says what the database is. The VM and the
tests go through the same functions, so the tests run exactly what the VM runs.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from ..template import render_template

FILES = Path(__file__).parent / "files"

SCRIPTS = ("bootstrap.sh", "backup.sh", "metrics.sh", "restore-drill.sh")
"""Shell scripts installed into `HostLayout.scripts_dir`; each reads `postgres.env` beside it."""

SYSTEMD_UNITS = (
    "pgbackrest-backup@.service",
    "pgbackrest-full.timer",
    "pgbackrest-diff.timer",
    "postgres-metrics.service",
    "postgres-metrics.timer",
    "postgres-restore-drill.service",
    "postgres-restore-drill.timer",
)
"""systemd units installed into /etc/systemd/system on the VM."""

STANZA = "main"


def read_file(name: str) -> str:
    return (FILES / name).read_text()


def fill(template_name: str, values: dict[str, object]) -> str:
    """A file of `files/` with its `{{ name }}` placeholders filled with the values as text."""
    return render_template(FILES / template_name, {key: str(value) for key, value in values.items()})


@dataclass(frozen=True)
class S3Repository:
    """The off-site repository: an S3-compatible bucket (Hetzner Object Storage by default)."""

    endpoint: str
    region: str
    bucket: str
    uri_style: str = "path"

    def lines(self) -> list[str]:
        return [
            "repo1-type=s3",
            f"repo1-s3-endpoint={self.endpoint}",
            f"repo1-s3-region={self.region}",
            f"repo1-s3-bucket={self.bucket}",
            f"repo1-s3-uri-style={self.uri_style}",
        ]


@dataclass(frozen=True)
class PosixRepository:
    """A repository on a local filesystem; the tests use it in place of S3."""

    def lines(self) -> list[str]:
        return ["repo1-type=posix"]


@dataclass(frozen=True)
class HostLayout:
    """Where the database's files live on one host."""

    pg_major: int
    data_directory: str
    conf_dir: str
    socket_directory: str
    pid_file: str
    bin_dir: str
    pgbackrest_config_path: str
    spool_path: str
    lock_path: str
    log_path: str
    textfile_dir: str
    drill_directory: str
    drill_socket_directory: str
    port: int = 5432
    drill_port: int = 5499
    listen_addresses: str = "*"

    @classmethod
    def debian(cls, pg_major: int, volume_mount: str = "/var/lib/postgresql") -> HostLayout:
        """Debian's layout for cluster `main`, with the data and the archive spool on the volume."""
        return cls(
            pg_major=pg_major,
            data_directory=f"{volume_mount}/{pg_major}/main",
            conf_dir=f"/etc/postgresql/{pg_major}/main",
            socket_directory="/var/run/postgresql",
            pid_file=f"/var/run/postgresql/{pg_major}-main.pid",
            bin_dir=f"/usr/lib/postgresql/{pg_major}/bin",
            pgbackrest_config_path="/etc/pgbackrest",
            spool_path=f"{volume_mount}/pgbackrest-spool",
            lock_path="/tmp/pgbackrest",
            log_path="/var/log/pgbackrest",
            textfile_dir="/var/lib/prometheus/node-exporter",
            drill_directory=f"{volume_mount}/drill",
            drill_socket_directory="/var/run/postgresql/drill",
        )


@dataclass(frozen=True)
class DatabaseSpec:
    """What the database is, independent of the host it runs on."""

    tuned_settings: dict[str, str]
    max_connections: int
    archive_timeout: int
    allowed_network: str
    repository: S3Repository | PosixRepository
    repo_path: str
    retention_full: int
    retention_diff: int
    process_max: int
    archive_push_queue_max: str
    database: str
    app_user: str
    admin_user: str
    cluster_name: str = "main"
    logical_replication: bool = False
    """wal_level = logical and room for replication slots (self-hosted Supabase's Realtime)."""
    superuser: str = ""
    """Name of a superuser role that logs in over the network; empty creates none."""

    @property
    def extra_packages(self) -> tuple[str, ...]:
        """Debian packages beyond the server: Realtime decodes the WAL with the wal2json plugin."""
        return ("wal2json",) if self.logical_replication else ()


def postgresql_conf(layout: HostLayout, spec: DatabaseSpec) -> str:
    tuned = "\n".join(f"{key} = '{value}'" for key, value in spec.tuned_settings.items())
    return fill(
        "postgresql.conf",
        {
            "data_directory": layout.data_directory,
            "hba_file": f"{layout.conf_dir}/pg_hba.conf",
            "ident_file": f"{layout.conf_dir}/pg_ident.conf",
            "external_pid_file": layout.pid_file,
            "listen_addresses": layout.listen_addresses,
            "port": layout.port,
            "socket_directory": layout.socket_directory,
            "max_connections": spec.max_connections,
            "cluster_name": spec.cluster_name,
            "ssl_cert_file": f"{layout.conf_dir}/server.crt",
            "ssl_key_file": f"{layout.conf_dir}/server.key",
            "tuned_settings": tuned,
            "pgbackrest_config_path": layout.pgbackrest_config_path,
            "stanza": STANZA,
            "archive_timeout": spec.archive_timeout,
            "wal_level": "logical" if spec.logical_replication else "replica",
            # Replica: pgBackRest and a standby at most. Logical: Realtime holds a slot and a sender
            # per tenant, with headroom for a rebuild while the old slot still exists.
            "max_wal_senders": 10 if spec.logical_replication else 3,
            "max_replication_slots": 10,
        },
    )


def pg_hba_conf(spec: DatabaseSpec) -> str:
    return fill("pg_hba.conf", {"allowed_network": spec.allowed_network})


def pgbackrest_conf(layout: HostLayout, spec: DatabaseSpec) -> str:
    return fill(
        "pgbackrest.conf",
        {
            "repository": "\n".join(spec.repository.lines()),
            "repo_path": spec.repo_path,
            "retention_full": spec.retention_full,
            "retention_diff": spec.retention_diff,
            "process_max": spec.process_max,
            "archive_push_queue_max": spec.archive_push_queue_max,
            "spool_path": layout.spool_path,
            "lock_path": layout.lock_path,
            "log_path": layout.log_path,
            "stanza": STANZA,
            "data_directory": layout.data_directory,
            "port": layout.port,
            "socket_directory": layout.socket_directory,
        },
    )


def pgbackrest_secrets_conf(
    cipher_pass: str, s3_key: str | None = None, s3_key_secret: str | None = None
) -> str:
    """conf.d/secrets.conf: the repository passphrase and, for S3, the bucket credentials."""
    lines = ["[global]", f"repo1-cipher-pass={cipher_pass}"]
    if s3_key is not None and s3_key_secret is not None:
        lines += [f"repo1-s3-key={s3_key}", f"repo1-s3-key-secret={s3_key_secret}"]
    return "\n".join(lines) + "\n"


def environment_file(layout: HostLayout, spec: DatabaseSpec, extra: dict[str, str] | None = None) -> str:
    """postgres.env: every parameter the scripts read, as shell-quoted assignments."""
    values = {
        "PG_MAJOR": str(layout.pg_major),
        "PG_BINDIR": layout.bin_dir,
        "PGDATA": layout.data_directory,
        "PG_CONF_DIR": layout.conf_dir,
        "PG_PORT": str(layout.port),
        "PG_SOCKET_DIR": layout.socket_directory,
        "PGBACKREST_CONFIG_PATH": layout.pgbackrest_config_path,
        "PGBACKREST_STANZA": STANZA,
        "TEXTFILE_DIR": layout.textfile_dir,
        "DRILL_DIR": layout.drill_directory,
        "DRILL_PORT": str(layout.drill_port),
        "DRILL_SOCKET_DIR": layout.drill_socket_directory,
        "SPOOL_PATH": layout.spool_path,
        "LOG_PATH": layout.log_path,
        "DATABASE": spec.database,
        "APP_USER": spec.app_user,
        "ADMIN_USER": spec.admin_user,
        "SUPERUSER": spec.superuser,
        "EXTRA_PACKAGES": " ".join(f"postgresql-{layout.pg_major}-{name}" for name in spec.extra_packages),
        **(extra or {}),
    }
    header = "# Parameters of the database scripts, rendered by Pulumi (components/postgres).\n"
    return header + "".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items())
