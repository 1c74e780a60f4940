"""The front door: k3s's Traefik behind a Hetzner load balancer, TLS certificates from Let's Encrypt."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import Section

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class IngressConfig(Section):
    """Traefik (bundled with k3s), its Hetzner load balancer and cert-manager."""

    acme_email: str | None = None
    """Contact address for the Let's Encrypt account (optional; Let's Encrypt no longer sends expiry
    mail, but it is the address it uses for account and policy notices)."""

    issuer: Literal["letsencrypt-staging", "letsencrypt-prod"] | None = None
    """ClusterIssuer every Ingress uses; defaults to letsencrypt-prod in prod and letsencrypt-staging
    elsewhere (staging certificates are not browser-trusted, but its rate limits are generous)."""

    load_balancer_type: str = "lb11"
    """Hetzner load balancer type the CCM creates for Traefik's Service."""

    replicas: int = Field(default=2, ge=1, le=10)
    """Traefik replicas (spread over nodes; 2 keeps ingress up while a node drains)."""

    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0)
    """Strict-Transport-Security max-age sent on every HTTPS response (one year by default)."""

    hsts_preload: bool = False
    """Add `preload` to HSTS. Only set this once every subdomain serves HTTPS: preload lists are sticky."""

    @field_validator("acme_email")
    @classmethod
    def _email_form(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address such as ops@example.com")
        return value
