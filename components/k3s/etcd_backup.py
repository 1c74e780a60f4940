"""etcd snapshots: the k3s server settings, the S3 Secret k3s reads, and the restore script's settings.

k3s reads the S3 location and credentials from a Secret in kube-system (`etcd-s3-config-secret`, k3s
ADR "etcd-s3-secret"), so they appear in no process argument and no file on the servers. Per that
ADR the Secret is ignored when any S3 setting is also given in config.yaml, so config.yaml carries
only `etcd-s3: true` and the Secret's name. Restores cannot read the Secret (the API server is down),
so the restore script takes the non-secret location from /etc/platform/etcd-backup.env and the
credentials from the operator's environment.

Retention: each server keeps its own `retention` newest snapshots on disk (`etcd-snapshot-retention`).
Off-site, k3s prunes by `etcd-s3-retention` (default 5), which the Secret sets (key
`etcd-s3-retention`, read by k3s `pkg/etcd/s3/config_secret.go` at v1.34.1 and v1.34.10); config.yaml
must not, because any S3 key there made v1.34.1 ignore the Secret. Pruning counts every server's
snapshots together (prefix `<folder>/etcd-snapshot`), so the bucket keeps `retention` x servers: the
same time span as on each server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from ..config.day2 import EtcdBackupConfig

S3_CONFIG_SECRET = "k3s-etcd-s3"
DEFAULT_FOLDER = "etcd-snapshots"


@dataclass(frozen=True)
class EtcdBackupPlan:
    """The resolved backup settings of one stack."""

    schedule: str
    retention: int
    offsite: bool
    endpoint: str
    region: str
    bucket: str
    folder: str
    servers: int
    """k3s servers taking snapshots (every etcd member does, on the same schedule)."""

    @classmethod
    def from_config(cls, config: EtcdBackupConfig, *, is_prod: bool, servers: int) -> EtcdBackupPlan:
        bucket = config.s3_bucket or f"{pulumi.get_project()}-{pulumi.get_stack()}-etcd"
        return cls(
            servers=servers,
            schedule=config.schedule,
            retention=config.retention,
            offsite=config.offsite_enabled(is_prod),
            endpoint=config.s3_endpoint,
            region=config.s3_region,
            bucket=bucket,
            folder=config.s3_folder or DEFAULT_FOLDER,
        )

    @property
    def offsite_retention(self) -> int:
        """Snapshots kept in the bucket, all servers together: `retention` of each server."""
        return self.retention * self.servers

    def server_settings(self) -> dict[str, Any]:
        """config.yaml keys of every k3s server (the schedule must match on all of them)."""
        settings: dict[str, Any] = {
            "etcd-snapshot-schedule-cron": self.schedule,
            "etcd-snapshot-retention": self.retention,
            "etcd-snapshot-compress": True,
        }
        if self.offsite:
            settings.update({"etcd-s3": True, "etcd-s3-config-secret": S3_CONFIG_SECRET})
        return settings

    def restore_env(self) -> str:
        """/etc/platform/etcd-backup.env: where restores find off-site snapshots (no credentials)."""
        if not self.offsite:
            return "ETCD_S3_ENDPOINT=\nETCD_S3_REGION=\nETCD_S3_BUCKET=\nETCD_S3_FOLDER=\n"
        return (
            f"ETCD_S3_ENDPOINT={self.endpoint}\nETCD_S3_REGION={self.region}\n"
            f"ETCD_S3_BUCKET={self.bucket}\nETCD_S3_FOLDER={self.folder}\n"
        )
