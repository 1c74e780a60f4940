"""The database VM's user-data: every rendered file in place, then bootstrap.sh.

A pure function of plain values, so the tests render it with stand-ins and run `cloud-init schema`
on the result; the component calls it inside `Output.apply` once the secrets are known.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cloud_init import CloudConfig, WriteFile
from .render import (
    SCRIPTS,
    SYSTEMD_UNITS,
    DatabaseSpec,
    HostLayout,
    environment_file,
    fill,
    pg_hba_conf,
    pgbackrest_conf,
    pgbackrest_secrets_conf,
    postgresql_conf,
    read_file,
)

SCRIPTS_DIR = "/usr/local/lib/platform-postgres"
STAGING_DIR = "/etc/platform-postgres"


@dataclass(frozen=True)
class VmSecrets:
    """The secret inputs of the user-data (the user-data is a Pulumi secret as a whole)."""

    server_cert_pem: str
    server_key_pem: str
    cipher_pass: str
    s3_key: str
    s3_key_secret: str
    admin_verifier: str
    app_verifier: str
    superuser_verifier: str = ""


@dataclass(frozen=True)
class Schedules:
    full: str
    diff: str
    drill: str


def user_data(
    *,
    layout: HostLayout,
    spec: DatabaseSpec,
    secrets: VmSecrets,
    schedules: Schedules,
    volume_device: str,
    volume_mount: str,
    pgbackrest_version: str,
) -> str:
    env = environment_file(
        layout,
        spec,
        {
            "VOLUME_DEVICE": volume_device,
            "VOLUME_MOUNT": volume_mount,
            "STAGING_DIR": STAGING_DIR,
            "PGBACKREST_VERSION": pgbackrest_version,
        },
    )
    timers = {
        "pgbackrest-full.timer": schedules.full,
        "pgbackrest-diff.timer": schedules.diff,
        "postgres-restore-drill.timer": schedules.drill,
    }
    units = [
        WriteFile(
            f"{STAGING_DIR}/systemd/{unit}",
            fill(unit, {"schedule": timers[unit]}) if unit in timers else read_file(unit),
            "0644",
        )
        for unit in SYSTEMD_UNITS
    ]
    roles_env = (
        f"ADMIN_VERIFIER='{secrets.admin_verifier}'\nAPP_VERIFIER='{secrets.app_verifier}'\n"
        f"SUPERUSER_VERIFIER='{secrets.superuser_verifier}'\n"
    )
    files = [
        *(WriteFile(f"{SCRIPTS_DIR}/{script}", read_file(script), "0755") for script in SCRIPTS),
        WriteFile(f"{SCRIPTS_DIR}/roles.sql", read_file("roles.sql"), "0644"),
        WriteFile(f"{SCRIPTS_DIR}/postgres.env", env, "0644"),
        WriteFile(f"{STAGING_DIR}/postgresql.conf", postgresql_conf(layout, spec), "0644"),
        WriteFile(f"{STAGING_DIR}/pg_hba.conf", pg_hba_conf(spec), "0644"),
        WriteFile(f"{STAGING_DIR}/pg_ident.conf", read_file("pg_ident.conf"), "0644"),
        WriteFile(f"{STAGING_DIR}/pgbackrest.conf", pgbackrest_conf(layout, spec), "0644"),
        WriteFile(f"{STAGING_DIR}/server.crt", secrets.server_cert_pem, "0644"),
        WriteFile(f"{STAGING_DIR}/server.key", secrets.server_key_pem, "0600"),
        WriteFile(
            f"{STAGING_DIR}/pgbackrest-secrets.conf",
            pgbackrest_secrets_conf(secrets.cipher_pass, secrets.s3_key, secrets.s3_key_secret),
            "0600",
        ),
        WriteFile(f"{STAGING_DIR}/roles.env", roles_env, "0600"),
        WriteFile(
            "/etc/apt/preferences.d/pgbackrest",
            f"Package: pgbackrest\nPin: version {pgbackrest_version}-*\nPin-Priority: 1001\n",
            "0644",
        ),
        *units,
    ]
    return CloudConfig(
        write_files=files, extra={"ssh_pwauth": False}, runcmd=[[f"{SCRIPTS_DIR}/bootstrap.sh"]]
    ).render()
