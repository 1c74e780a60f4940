"""Metrics, logs, dashboards and where alerts go."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from .base import Duration, Hostname, Section

AlertReceiver = Literal["discord", "webhook"]


class ObservabilityConfig(Section):
    """kube-prometheus-stack, Loki with Grafana Alloy, Alertmanager routes."""

    grafana_hostname: Hostname | None = None
    """Public HTTPS name for Grafana (e.g. grafana.example.com). Unset: reach it with kubectl port-forward."""

    alert_receivers: list[AlertReceiver] = Field(default_factory=list)
    """Where alerts go: `discord` (secret alertDiscordWebhookUrl) and/or `webhook` (secret alertWebhookUrl).
    Prod must name at least one, or nobody hears an alert."""

    dead_mans_switch: bool = False
    """Send the always-firing Watchdog alert to the webhook every minute, so an external checker
    (healthchecks.io style) notices when the alerting pipeline itself is down. Needs `webhook`."""

    storage_class: str = "hcloud-volumes"
    """StorageClass for Prometheus, Alertmanager and Loki volumes (Hetzner CSI by default)."""

    prometheus_retention: Duration = "15d"
    """How long Prometheus keeps samples (e.g. 15d). Size-bounded too: see prometheusVolumeGi."""

    prometheus_volume_gi: int = Field(default=20, ge=10, le=1000)
    """Prometheus volume size in GiB (Hetzner volumes start at 10 GB); retention stops at 90 % of it."""

    loki_retention: Duration = "168h"
    """How long Loki keeps logs (e.g. 168h, 14d)."""

    loki_volume_gi: int = Field(default=20, ge=10, le=1000)
    """Loki volume size in GiB."""

    @field_validator("alert_receivers")
    @classmethod
    def _unique(cls, value: list[AlertReceiver]) -> list[AlertReceiver]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} lists a receiver twice; name each once")
        return value
