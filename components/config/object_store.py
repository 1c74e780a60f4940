"""Phase 3: S3-compatible object storage for the app (uploads, exports) and Supabase Storage."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import InvalidSettingError, Section, repeated

HETZNER_OBJECT_STORAGE_LOCATIONS = ("fsn1", "nbg1", "hel1")
"""Locations where Hetzner sells Object Storage (EU only, 2026)."""

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_SIZE = re.compile(r"^[0-9]+Gi$")


class LifecycleRule(Section):
    """One S3 lifecycle rule: what to delete, and when, under a key prefix."""

    id: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9._-]+$")
    """Rule name, unique within the bucket."""

    prefix: str = ""
    """Key prefix the rule applies to ("" for the whole bucket), e.g. exports/."""

    expire_days: int | None = Field(default=None, ge=1)
    """Delete current objects this many days after they were written."""

    noncurrent_expire_days: int | None = Field(default=None, ge=1)
    """Delete overwritten or deleted versions this many days after they stopped being current."""

    abort_incomplete_upload_days: int | None = Field(default=None, ge=1)
    """Discard multipart uploads not completed within this many days (they take space, unseen)."""

    @model_validator(mode="after")
    def _has_an_action(self) -> LifecycleRule:
        if (self.expire_days, self.noncurrent_expire_days, self.abort_incomplete_upload_days) == (None,) * 3:
            raise InvalidSettingError(
                "id",
                self.id,
                "has no action: set expireDays, noncurrentExpireDays or abortIncompleteUploadDays",
            )
        return self


class BucketConfig(Section):
    """A bucket and its data-protection settings."""

    name: str
    """Bucket name: 3-63 lowercase letters, digits and dashes. On Hetzner, bucket names are shared with
    every other customer, so prefix them (acme-prod-uploads)."""

    versioning: bool = True
    """Keep every overwritten or deleted version, so a bad deploy or a mistaken delete can be undone."""

    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    """Expiry rules; with versioning, add a noncurrentExpireDays rule or old versions are kept forever."""

    @field_validator("name")
    @classmethod
    def _s3_name(cls, value: str) -> str:
        if not _BUCKET.match(value) or "--" in value:
            raise ValueError(
                f"{value!r} is not a bucket name: use 3-63 lowercase letters, digits and single dashes, "
                "starting and ending with a letter or digit"
            )
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return value
        raise ValueError(f"{value!r} looks like an IP address, which S3 does not allow as a bucket name")

    @field_validator("lifecycle")
    @classmethod
    def _unique_rule_ids(cls, value: list[LifecycleRule]) -> list[LifecycleRule]:
        twice = repeated([rule.id for rule in value])
        if twice:
            raise ValueError(f"lifecycle rule ids {twice} are used twice; give each rule its own id")
        return value


class InClusterStoreConfig(Section):
    """SeaweedFS on the cluster: masters, volume servers on Hetzner volumes, one filer with the S3 API."""

    masters: Literal[1, 3] = 1
    """SeaweedFS masters (Raft): 1, or 3 to survive losing one node."""

    volume_servers: int = Field(default=2, ge=1, le=12)
    """Volume servers, one per node (they refuse to share a node, so a lost node loses one copy only)."""

    copies: int = Field(default=2, ge=1, le=3)
    """Copies of every object, each on a different volume server (SeaweedFS replication 00N)."""

    volume_size: str = "50Gi"
    """Hetzner volume per volume server; usable space is volumeServers x volumeSize / copies."""

    filer_volume_size: str = "10Gi"
    """Hetzner volume for the filer's metadata (bucket and object index)."""

    @field_validator("volume_size", "filer_volume_size")
    @classmethod
    def _gibibytes(cls, value: str) -> str:
        if not _SIZE.match(value) or int(value.removesuffix("Gi")) < 10:
            raise ValueError(
                f"{value!r} is not a volume size of 10Gi or more such as 50Gi (Hetzner's minimum is 10 GB)"
            )
        return value

    @model_validator(mode="after")
    def _enough_servers_for_copies(self) -> InClusterStoreConfig:
        if self.copies > self.volume_servers:
            raise InvalidSettingError(
                "copies",
                self.copies,
                f"needs as many volume servers; volumeServers is {self.volume_servers}: "
                "raise it or lower copies",
            )
        return self

    @property
    def replication(self) -> str:
        """SeaweedFS replication string: extra copies on other servers in the same rack."""
        return f"00{self.copies - 1}"


class ObjectStoreConfig(Section):
    """Where the app's objects live: nowhere yet, Hetzner Object Storage, or SeaweedFS in the cluster."""

    mode: Literal["none", "hetzner", "in-cluster"] = "none"
    """none: no object store; hetzner: Hetzner Object Storage (managed, billed per TB); in-cluster:
    SeaweedFS on the cluster's nodes and Hetzner volumes."""

    location: str | None = None
    """Hetzner Object Storage location (fsn1, nbg1, hel1); defaults to the stack's location."""

    buckets: list[BucketConfig] = Field(default_factory=list, max_length=20)
    """Buckets to create (idempotently: existing buckets and their objects are kept)."""

    in_cluster: InClusterStoreConfig = InClusterStoreConfig()
    """Sizing of the in-cluster store (mode in-cluster only)."""

    @field_validator("location")
    @classmethod
    def _sold_there(cls, value: str | None) -> str | None:
        if value is not None and value not in HETZNER_OBJECT_STORAGE_LOCATIONS:
            raise ValueError(
                f"Hetzner Object Storage is not sold in {value!r}; use one of "
                f"{', '.join(HETZNER_OBJECT_STORAGE_LOCATIONS)}"
            )
        return value

    @field_validator("buckets")
    @classmethod
    def _unique_buckets(cls, value: list[BucketConfig]) -> list[BucketConfig]:
        twice = repeated([bucket.name for bucket in value])
        if twice:
            raise ValueError(f"buckets {twice} are listed twice")
        return value

    @model_validator(mode="after")
    def _buckets_when_enabled(self) -> ObjectStoreConfig:
        if self.mode != "none" and not self.buckets:
            raise InvalidSettingError(
                "buckets",
                [],
                f"is empty but mode is {self.mode}; list at least one bucket (e.g. name: uploads)",
            )
        return self

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def hetzner_location(self, stack_location: str) -> str:
        """Where the buckets live in hetzner mode; the stack's location when Object Storage is sold there."""
        return self.location or stack_location

    def hetzner_endpoint(self, stack_location: str) -> str:
        """S3 endpoint host of the buckets in hetzner mode."""
        return hetzner_object_storage_host(self.hetzner_location(stack_location))


def hetzner_object_storage_host(location: str) -> str:
    """S3 endpoint host of Hetzner Object Storage in a location (docs.hetzner.com/storage/object-storage)."""
    return f"{location}.your-objectstorage.com"


def check_store_users(store: ObjectStoreConfig, stack_location: str, users: list[tuple[str, bool]]) -> None:
    """Rules across sections: the store's location, and workloads that ask for a store that is off.

    `users` lists (config key, wants the object store) for every workload.
    """
    location = store.hetzner_location(stack_location)
    if store.mode == "hetzner" and location not in HETZNER_OBJECT_STORAGE_LOCATIONS:
        raise InvalidSettingError(
            "objectStore.location",
            store.location,
            f"must be set: Hetzner Object Storage is not sold in the stack's location {stack_location}; "
            f"pick one of {', '.join(HETZNER_OBJECT_STORAGE_LOCATIONS)}",
        )
    if not store.enabled:
        for key, wants_store in users:
            if wants_store:
                raise InvalidSettingError(
                    f"{key}.objectStore",
                    True,
                    "asks for the object store but objectStore.mode is none; set objectStore.mode to "
                    "hetzner or in-cluster, or remove objectStore from this workload",
                )
