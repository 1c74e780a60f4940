"""Phase 2: background workers, the team's `scripts/` jobs on a schedule, and the public API's rate limit."""

from __future__ import annotations

import functools
import re
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, field_validator, model_validator

from .base import (
    CpuQuantity,
    CronSchedule,
    Duration,
    EnvVarName,
    HttpPath,
    InvalidSettingError,
    MemoryQuantity,
    PinnedImage,
    Section,
    parse_duration,
    repeated,
)
from .cron_gap import longest_gap_seconds

_DNS_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$")
_RESERVED_ENV = frozenset(
    {
        "S3_ENDPOINT",
        "S3_REGION",
        "S3_BUCKET",
        "S3_FORCE_PATH_STYLE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    }
)
"""Set from the object store's Secret when `objectStore: true`."""


def _check_name(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a workload name: use 1-42 lowercase letters, digits or dashes, starting "
            "with a letter (it becomes part of Kubernetes object names)"
        )
    return value


WorkloadName = Annotated[str, AfterValidator(_check_name)]


class SecretEnv(Section):
    """One environment variable read from a key of a Kubernetes Secret in the app's namespace."""

    secret: WorkloadName
    """Name of the Secret (created by the platform or by you with kubectl/External Secrets)."""

    key: str = Field(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$")
    """Key inside the Secret."""


class Resources(Section):
    """Requests and a memory limit. No CPU limit: throttling hurts more than it protects on small nodes."""

    cpu: CpuQuantity = "100m"
    """CPU reserved for the container."""

    memory: MemoryQuantity = "256Mi"
    """Memory request and limit (equal, so a pod is never OOM-killed because a neighbour grew)."""


class ContainerConfig(Section):
    """What workers and cron jobs share: the image, what to run, its environment and size."""

    name: WorkloadName
    """Name of the worker or job (lowercase, part of object names and alert labels)."""

    image: PinnedImage
    """Container image pinned by version tag or digest, e.g. ghcr.io/acme/app:1.4.2."""

    command: list[str] = Field(default_factory=list)
    """Entrypoint override (e.g. ["bun", "run", "scripts/ingest.ts"]); empty keeps the image's."""

    args: list[str] = Field(default_factory=list)
    """Arguments to the command."""

    env: dict[EnvVarName, str] = Field(default_factory=dict)
    """Plain, non-secret environment variables."""

    secret_env: dict[EnvVarName, SecretEnv] = Field(default_factory=dict)
    """Environment variables read from Kubernetes Secrets: `NAME: {secret: app-secrets, key: databaseUrl}`."""

    object_store: bool = False
    """Hand the container the object store's endpoint, bucket and keys (S3_ENDPOINT, S3_BUCKET,
    AWS_ACCESS_KEY_ID, ...) from the store's Secret. Needs objectStore.mode other than none."""

    resources: Resources = Resources()
    """CPU and memory."""

    read_only_root_filesystem: bool = True
    """Mount the image read-only (a writable /tmp is provided); turn off only for an image that must write."""

    @field_validator("env", "secret_env")
    @classmethod
    def _env_names(cls, value: dict[str, object]) -> dict[str, object]:
        for name in value:
            if name in _RESERVED_ENV:
                raise ValueError(
                    f"{name} comes from the object store's Secret; set objectStore: true instead"
                )
        return value

    @model_validator(mode="after")
    def _no_name_twice(self) -> ContainerConfig:
        both = sorted(set(self.env) & set(self.secret_env))
        if both:
            raise InvalidSettingError(
                "secretEnv", both, "is also set in env; keep each variable in one place"
            )
        return self


class WorkerConfig(ContainerConfig):
    """A long-running background process (queue consumer, stream processor) run as a Deployment."""

    replicas: int = Field(default=1, ge=0, le=50)
    """Pods to run; 2 or more keeps the worker up while a node drains (a PodDisruptionBudget holds one)."""

    port: int | None = Field(default=None, ge=1024, le=65535)
    """Port of the worker's HTTP server (health and metrics), if it has one; enables the probes."""

    health_path: HttpPath = "/healthz"
    """HTTP path answering 200 while the worker is healthy (used only with `port`)."""

    termination_grace_seconds: int = Field(default=30, ge=1, le=3600)
    """Time the worker gets after SIGTERM to finish its current item before it is killed."""


@functools.cache
def _time_zones() -> frozenset[str]:
    """The IANA zones installed (read once: listing them walks the whole tz database)."""
    return frozenset(available_timezones())


class CronJobConfig(ContainerConfig):
    """One of the team's `scripts/` jobs on a schedule, with retries, a deadline and alerts."""

    schedule: CronSchedule
    """Standard 5-field cron expression (`*/15 * * * *`) or a macro such as @daily."""

    time_zone: str = "Etc/UTC"
    """IANA time zone the schedule is read in, e.g. Europe/Berlin."""

    backoff_limit: int = Field(default=3, ge=0, le=10)
    """Retries of a failed run before the run counts as failed (each retry waits longer: 10s, 20s, 40s...)."""

    active_deadline_seconds: int = Field(default=1800, ge=60, le=7 * 86400)
    """Longest a run may take, retries included, before it is stopped and counted as failed."""

    starting_deadline_seconds: int = Field(default=300, ge=10)
    """How late a run may still start (after a controller restart or a blocked previous run);
    later than this the run is skipped and counted as missed."""

    successful_jobs_history_limit: int = Field(default=3, ge=0, le=20)
    """Finished successful runs kept for inspection."""

    failed_jobs_history_limit: int = Field(default=3, ge=1, le=20)
    """Failed runs kept for inspection (at least one, so the failure can be looked at)."""

    suspend: bool = False
    """Pause the schedule without deleting the job (its missed-run alert is paused too)."""

    alert_after: Duration | None = None
    """Alert when the job has not succeeded for this long (e.g. 26h for a daily job). Defaults to the
    longest gap between two scheduled runs plus the run deadline plus 15 minutes."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _time_zones():
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin or Etc/UTC")
        return value

    @property
    def alert_after_seconds(self) -> int:
        if self.alert_after is not None:
            return int(parse_duration(self.alert_after))
        return self.minimum_alert_after_seconds + 15 * 60

    @property
    def minimum_alert_after_seconds(self) -> int:
        """Below this a healthy job would alert between two of its runs."""
        return longest_gap_seconds(self.schedule, self.time_zone) + self.active_deadline_seconds

    @model_validator(mode="after")
    def _alert_after_covers_a_run(self) -> CronJobConfig:
        minimum = self.minimum_alert_after_seconds
        if self.alert_after is not None and parse_duration(self.alert_after) < minimum:
            minutes = minimum // 60
            raise InvalidSettingError(
                "alertAfter",
                self.alert_after,
                f"is shorter than the longest gap between two runs of {self.schedule!r} plus "
                f"activeDeadlineSeconds ({minutes // 60}h{minutes % 60:02d}m), so a healthy job would "
                "alert; raise it or leave it out for the default",
            )
        return self


class RateLimitConfig(Section):
    """Traefik rate limit on the public API, per client address (token bucket)."""

    average: int = Field(default=50, ge=1)
    """Requests allowed per `period` on average, per client."""

    burst: int = Field(default=100, ge=1)
    """Requests a client may send at once above the average before getting 429."""

    period: Duration = "1s"
    """Time unit of `average` (1s, 1m); hours, minutes and seconds only (Traefik reads a Go duration)."""

    source_depth: int = Field(default=0, ge=0, le=5)
    """Which X-Forwarded-For entry identifies the client, counted from the right; 0 uses the connection's
    address (correct behind Hetzner's load balancer with proxy protocol)."""

    @field_validator("period")
    @classmethod
    def _go_duration(cls, value: str) -> str:
        if any(unit in value for unit in "ywd"):
            raise ValueError(
                f"{value!r}: Traefik reads the period as a Go duration; use h, m or s (24h, not 1d)"
            )
        return value

    @model_validator(mode="after")
    def _burst_covers_average(self) -> RateLimitConfig:
        if self.burst < self.average:
            raise InvalidSettingError(
                "burst",
                self.burst,
                f"is below average ({self.average}); clients could never reach the average",
            )
        return self


class WorkloadsConfig(Section):
    """Background workers, scheduled jobs and the public API's rate limit (seed Phase 2)."""

    workers: list[WorkerConfig] = Field(default_factory=list, max_length=30)
    """Long-running background processes."""

    cron_jobs: list[CronJobConfig] = Field(default_factory=list, max_length=50)
    """Scheduled jobs (ingest, checks...)."""

    rate_limit: RateLimitConfig | None = None
    """Rate limit for the public API; unset: no limit."""

    @model_validator(mode="after")
    def _unique_names(self) -> WorkloadsConfig:
        twice = repeated([w.name for w in self.workers] + [c.name for c in self.cron_jobs])
        if twice:
            raise InvalidSettingError(
                "workers/cronJobs", twice, "names are used twice; each worker and job needs its own name"
            )
        return self

    def store_users(self) -> list[tuple[str, bool]]:
        """(config key, wants the object store) for every worker and job, for cross-section checks."""
        return [(f"workloads.workers[{i}]", w.object_store) for i, w in enumerate(self.workers)] + [
            (f"workloads.cronJobs[{i}]", c.object_store) for i, c in enumerate(self.cron_jobs)
        ]

    @property
    def enabled(self) -> bool:
        return bool(self.workers or self.cron_jobs or self.rate_limit)
