"""Day-2 settings of the cluster: maintenance window, etcd snapshots, the autoscaled node pool."""

from __future__ import annotations

import re
import zoneinfo
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import CronSchedule, Section, check_s3_bucket, check_s3_endpoint
from .catalog import NETWORK_ZONES, SERVER_TYPES, check_server_type
from .node_rules import check_pool_name, check_taints

_TIME = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9]$")

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DEFAULT_DAYS: tuple[Weekday, ...] = ("tue", "wed", "thu")


class MaintenanceWindow(Section):
    """When nodes may be drained for a k3s upgrade or rebooted after OS security updates.

    The same window drives kured (reboots) and the system-upgrade-controller Plans (k3s upgrades);
    both parse it with kured's time-window rules, so one setting means the same thing to both.
    """

    days: list[Weekday] = Field(default_factory=lambda: list(_DEFAULT_DAYS), min_length=1)
    """Weekdays the window opens on (mon, tue, wed, thu, fri, sat, sun)."""

    start_time: str = "03:00"
    """Local start of the window (HH:MM, 24 h)."""

    end_time: str = "06:00"
    """Local end of the window (HH:MM, 24 h); jobs that started inside may run past it."""

    time_zone: str = "Europe/Berlin"
    """IANA time zone the times are in, e.g. Europe/Berlin or UTC."""

    os_updates: bool = True
    """Install security updates daily with unattended-upgrades and let kured reboot nodes that need it
    (one at a time, drained, inside the window)."""

    @field_validator("start_time", "end_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError(f"{value!r} is not a time of day like 03:00 (HH:MM, 24 h)")
        return value

    @field_validator("days")
    @classmethod
    def _distinct_days(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} names a day twice; list each day once")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin or UTC") from None
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> MaintenanceWindow:
        if self.start_time == self.end_time:
            raise ValueError(
                f"startTime and endTime are both {self.start_time}: the window would be empty; "
                "give it at least an hour (e.g. 03:00 to 06:00)"
            )
        return self


class EtcdBackupConfig(Section):
    """Scheduled etcd snapshots, kept on the servers and copied to off-site S3 storage.

    The S3 credentials are the secrets `etcdS3AccessKey` / `etcdS3SecretKey`; they reach k3s only
    through a Secret in kube-system (`etcd-s3-config-secret`), never a process argument or a file.
    """

    offsite: bool | None = None
    """Copy snapshots to S3; defaults to true in prod. Needs the two etcdS3 secrets."""

    schedule: CronSchedule = "0 */6 * * *"
    """Cron schedule (5 fields, server time UTC) of the snapshots."""

    retention: int = Field(default=28, ge=1, le=1000)
    """Snapshots each server keeps on disk (28 at every 6 hours is one week); the S3 bucket keeps
    this many per server, all servers together (k3s `etcd-s3-retention` = retention x servers)."""

    s3_endpoint: str = "fsn1.your-objectstorage.com"
    """S3 endpoint host (no scheme). Pick a location other than the servers' for a real off-site copy."""

    s3_region: str = "fsn1"
    """Region the endpoint expects in request signatures."""

    s3_bucket: str = ""
    """Bucket; empty means `<project>-<stack>-etcd`. Create it beforehand with the S3 API."""

    s3_folder: str = ""
    """Folder inside the bucket; empty means `etcd-snapshots`."""

    _check_bucket = field_validator("s3_bucket")(check_s3_bucket)
    _check_endpoint = field_validator("s3_endpoint")(check_s3_endpoint)

    @field_validator("s3_folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        if value and not _FOLDER.match(value):
            raise ValueError(f"{value!r} is not a folder like etcd-snapshots/prod (no leading or trailing /)")
        return value

    def offsite_enabled(self, is_prod: bool) -> bool:
        return is_prod if self.offsite is None else self.offsite


class AutoscalerConfig(Section):
    """An optional node pool the Hetzner cluster-autoscaler grows and shrinks between min and max."""

    enabled: bool = False
    """Run the cluster-autoscaler with one autoscaled pool."""

    name: str = "autoscaled"
    """Pool name; the autoscaler labels its servers `hcloud/node-group=<stack>-<name>`."""

    min_nodes: int = Field(default=0, ge=0, le=50)
    """Fewest autoscaled nodes (0 lets the pool disappear when idle)."""

    max_nodes: int = Field(default=3, ge=1, le=50)
    """Most autoscaled nodes; at most 50 (one /24 subnet, and Hetzner's per-project limits)."""

    server_type: str = "cpx32"
    """Hetzner server type of autoscaled nodes."""

    location: str | None = None
    """Hetzner location of autoscaled nodes; defaults to the stack's `location`."""

    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes node labels of autoscaled nodes (also used for scale-from-zero decisions)."""

    taints: list[str] = Field(default_factory=list)
    """Kubernetes node taints, as `key=value:Effect`."""

    _check_type = field_validator("server_type")(check_server_type)
    _check_name = field_validator("name")(check_pool_name)
    _check_taints = field_validator("taints")(check_taints)

    @model_validator(mode="after")
    def _bounds(self) -> AutoscalerConfig:
        if self.min_nodes > self.max_nodes:
            raise ValueError(
                f"minNodes {self.min_nodes} is larger than maxNodes {self.max_nodes}; raise maxNodes"
            )
        return self

    def resolved_location(self, stack_location: str) -> str:
        return self.location or stack_location

    def check_against(self, stack_location: str) -> tuple[str, object, str] | None:
        """(key, value, reason) when the pool cannot live beside servers in `stack_location`."""
        location = self.resolved_location(stack_location)
        if location not in NETWORK_ZONES:
            return ("location", location, f"unknown Hetzner location; allowed: {', '.join(NETWORK_ZONES)}")
        if NETWORK_ZONES[location] != NETWORK_ZONES[stack_location]:
            return (
                "location",
                location,
                f"is in network zone {NETWORK_ZONES[location]}, but the private network is in "
                f"{NETWORK_ZONES[stack_location]}; pick a location of that zone",
            )
        offered = SERVER_TYPES[self.server_type].locations
        if location not in offered:
            return (
                "serverType",
                self.server_type,
                f"not sold in {location}; it is offered in {', '.join(offered)}",
            )
        return None
