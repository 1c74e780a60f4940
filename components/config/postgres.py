"""The database: an external managed PostgreSQL (option A) or the PostgreSQL VM (option B, default)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .. import versions
from .base import InvalidSettingError, Section, check_s3_bucket, check_s3_endpoint
from .cluster import check_server_type

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SIZE = re.compile(r"^[1-9][0-9]*(MiB|GiB|TiB)$")
# systemd OnCalendar: a weekday/date/time expression; `systemd-analyze calendar` checks the defaults in tests.
_ON_CALENDAR = re.compile(r"^[A-Za-z0-9*:,./ ~-]+$")


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(
            f"{value!r} is not a plain PostgreSQL name: use lowercase letters, digits and "
            "underscores, starting with a letter (at most 63 characters)"
        )
    if value.startswith("pg_") or value == "postgres":
        raise ValueError(f"{value!r} is reserved by PostgreSQL; pick another name")
    return value


def _on_calendar(value: str) -> str:
    if not _ON_CALENDAR.match(value):
        raise ValueError(
            f"{value!r} is not a systemd OnCalendar expression such as 'Sun *-*-* 02:00:00' "
            "(check it with `systemd-analyze calendar`)"
        )
    return value


class PostgresBackupConfig(Section):
    """pgBackRest: where the encrypted off-site repository lives, how long it keeps backups, when."""

    s3_endpoint: str = "fsn1.your-objectstorage.com"
    """S3-compatible endpoint host of the off-site repository (Hetzner Object Storage by default;
    pick a location other than the servers' for a real off-site copy)."""

    s3_region: str = "fsn1"
    """Region name the endpoint expects in request signatures."""

    s3_bucket: str = ""
    """Bucket of the repository; empty means `<project>-<stack>-pgbackrest`. Create it beforehand
    (buckets are made with the S3 API, not the hcloud API)."""

    s3_uri_style: Literal["path", "host"] = "path"
    """`path` (bucket in the URL path) works with every S3-compatible store; `host` is AWS style."""

    repo_path: str = ""
    """Folder inside the bucket; empty means `/pgbackrest/<project>-<stack>`."""

    retention_full: int = Field(default=4, ge=1, le=52)
    """Full backups to keep; with a weekly full this is the point-in-time window in weeks."""

    retention_diff: int = Field(default=6, ge=1, le=60)
    """Differential backups to keep (one a day between fulls)."""

    full_schedule: str = "Sun *-*-* 02:00:00"
    """systemd OnCalendar of the full backup (UTC)."""

    diff_schedule: str = "Mon..Sat *-*-* 02:00:00"
    """systemd OnCalendar of the differential backup (UTC)."""

    drill_schedule: str = "Wed *-*-* 04:00:00"
    """systemd OnCalendar of the restore drill on the VM (UTC); it restores onto a spare port."""

    archive_push_queue_max: str = "4GiB"
    """WAL waiting to reach the repository before pgBackRest drops it to save the disk (then an alert
    fires and point-in-time recovery has a gap until the next backup). MiB, GiB or TiB."""

    _check_schedules = field_validator("full_schedule", "diff_schedule", "drill_schedule")(_on_calendar)

    _check_bucket = field_validator("s3_bucket")(check_s3_bucket)
    _check_endpoint = field_validator("s3_endpoint")(check_s3_endpoint)

    @field_validator("repo_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if value and (not value.startswith("/") or value.endswith("/") or " " in value):
            raise ValueError(f"{value!r} is not an absolute folder like /pgbackrest/prod")
        return value

    @field_validator("archive_push_queue_max")
    @classmethod
    def _size(cls, value: str) -> str:
        if not _SIZE.match(value):
            raise ValueError(f"{value!r} is not a size like 512MiB or 4GiB")
        return value


class PostgresConfig(Section):
    """Phase 4: where the application's PostgreSQL runs."""

    mode: Literal["managed", "vm"] = "vm"
    """`managed`: an external PostgreSQL whose URL is the secret `postgresManagedUrl`;
    `vm`: a dedicated Hetzner VM with pgBackRest backups (ADR 0008)."""

    major_version: int = versions.POSTGRES_MAJOR
    """PostgreSQL major version installed from the PostgreSQL project's apt repository (15 to 18)."""

    server_type: str = "cpx32"
    """Hetzner server type of the database VM; the tuning follows its RAM and vCPUs."""

    volume_size_gb: int = Field(default=40, ge=10, le=10240)
    """Size of the Hetzner volume holding the data directory (GB, 10 to 10240). It can grow later."""

    max_connections: int = Field(default=100, ge=20, le=5000)
    """max_connections; work_mem is sized from it, so put a pooler in front rather than raising it."""

    archive_timeout_seconds: int = Field(default=60, ge=10, le=3600)
    """Longest time a committed transaction waits before its WAL is shipped off-site: the recovery
    point objective (RPO) when the VM and its volume are lost."""

    database: str = "app"
    """Name of the application database."""

    app_user: str = "app"
    """Role the application connects as; owns the application database."""

    admin_user: str = "dbadmin"
    """Administrative role (CREATEDB, CREATEROLE) for migrations and operators; not a superuser."""

    backup: PostgresBackupConfig = PostgresBackupConfig()
    """pgBackRest repository, retention and schedules."""

    _check_type = field_validator("server_type")(check_server_type)
    _check_names = field_validator("database", "app_user", "admin_user")(_identifier)

    @field_validator("major_version")
    @classmethod
    def _supported_major(cls, value: int) -> int:
        if value not in versions.POSTGRES_SUPPORTED_MAJORS:
            allowed = ", ".join(map(str, versions.POSTGRES_SUPPORTED_MAJORS))
            raise ValueError(
                f"PostgreSQL {value} is not supported by the rendered configuration; use {allowed}"
            )
        return value

    @model_validator(mode="after")
    def _distinct_roles(self) -> PostgresConfig:
        if self.app_user == self.admin_user:
            raise InvalidSettingError("appUser", self.app_user, "must differ from postgres.adminUser")
        return self
