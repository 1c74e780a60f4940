"""The product's own workloads. Phase 1: the Next.js/Bun web/API Deployment."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from .base import (
    CpuQuantity,
    EnvVarName,
    Hostname,
    HttpPath,
    InvalidSettingError,
    MemoryQuantity,
    PinnedImage,
    Section,
)

_RESERVED_ENV = {
    "SUPABASE_URL",
    "NEXT_PUBLIC_SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "NEXT_PUBLIC_SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
    "DATABASE_URL",
    "PORT",
    "HOSTNAME",
}


class CanaryConfig(Section):
    """A second image that gets a fixed share of requests through Traefik weighted routing."""

    image: PinnedImage
    """The candidate image (pinned), e.g. ghcr.io/acme/web:1.5.0-rc.1."""

    weight: int = Field(ge=1, le=50)
    """Percent of requests (1-50) sent to the canary; the rest go to `web.image`."""

    replicas: int = Field(default=1, ge=1, le=10)
    """Canary pods (not autoscaled: its share of traffic is fixed)."""


class WebConfig(Section):
    """The Next.js/Bun web and API server."""

    image: PinnedImage
    """Container image, pinned by version tag or digest, e.g. ghcr.io/acme/web:1.4.2."""

    port: int = Field(default=3000, ge=1024, le=65535)
    """Port the server listens on inside the container (unprivileged)."""

    health_path: HttpPath = "/api/health"
    """HTTP path answering 200 once the server can take traffic (startup, readiness and liveness)."""

    min_replicas: int = Field(default=2, ge=1, le=50)
    """Fewest pods the autoscaler keeps (2 or more keeps the site up while a node drains)."""

    max_replicas: int = Field(default=6, ge=1, le=100)
    """Most pods the autoscaler may run."""

    target_cpu_percent: int = Field(default=70, ge=10, le=95)
    """Average CPU use (percent of the request) the autoscaler aims for."""

    cpu_request: CpuQuantity = "250m"
    """CPU reserved per pod (Kubernetes quantity); the autoscaler measures against it."""

    memory: MemoryQuantity = "512Mi"
    """Memory request and limit per pod (equal, so the pod is never OOM-killed for a neighbour)."""

    read_only_root_filesystem: bool = True
    """Mount the image read-only (writable /tmp and .next/cache are provided). Turn off only for an
    image that writes elsewhere."""

    env: dict[EnvVarName, str] = Field(default_factory=dict)
    """Plain (non-secret) environment variables; secrets come from the stack's secret keys."""

    canary: CanaryConfig | None = None
    """Optional canary; remove the key to send all traffic to `image` again."""

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name in _RESERVED_ENV:
                raise ValueError(f"{name} is set by the platform (from secrets or the port); remove it here")
        return value

    @model_validator(mode="after")
    def _replica_range(self) -> WebConfig:
        if self.max_replicas < self.min_replicas:
            raise InvalidSettingError(
                "maxReplicas", self.max_replicas, f"is below minReplicas ({self.min_replicas}); raise it"
            )
        return self


class AppConfig(Section):
    """The product's workloads on the cluster."""

    hostnames: list[Hostname] = Field(min_length=1)
    """Public names of the web/API (DNS A/AAAA records point at the ingress load balancer)."""

    web: WebConfig
    """The web/API server."""

    @field_validator("hostnames")
    @classmethod
    def _unique_hosts(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists a hostname twice")
        return value
