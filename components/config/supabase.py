"""Supabase: managed (URL and keys from config) or self-hosted on the cluster (phase 5)."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, field_validator, model_validator

from .base import CpuQuantity, Hostname, InvalidSettingError, MemoryQuantity, Section, SourceCidr, is_world

SELF_HOSTED_SERVICES = (
    "kong",
    "auth",
    "rest",
    "realtime",
    "storage",
    "imgproxy",
    "meta",
    "studio",
    "functions",
)
"""The services self-hosted mode runs, each its own Deployment; keys of `supabase.resources`."""


def _https_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.netloc:
        raise ValueError(f"{value!r} is not an https:// URL (e.g. https://app.example.com)")
    return value.rstrip("/")


def _redirect_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ValueError(
            f"{value!r} is not a redirect URL (e.g. https://app.example.com/** or http://localhost:3000/**)"
        )
    return value


class SmtpConfig(Section):
    """Mail server GoTrue sends confirmation, magic-link and recovery mails through.
    The password is the secret `supabaseSmtpPassword`."""

    host: str
    """SMTP server host name."""

    port: int = Field(default=587, ge=1, le=65535)
    """SMTP port: 587 (STARTTLS) or 465 (implicit TLS)."""

    user: str = ""
    """SMTP user name; empty for a server that needs no login."""

    admin_email: str
    """Sender address of every mail (GOTRUE_SMTP_ADMIN_EMAIL)."""

    sender_name: str = "Supabase"
    """Display name of the sender."""

    @field_validator("admin_email")
    @classmethod
    def _address(cls, value: str) -> str:
        if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise ValueError(f"{value!r} is not an e-mail address (e.g. no-reply@example.com)")
        return value


class ServiceResources(Section):
    """CPU and memory of one service's container."""

    cpu: CpuQuantity
    """CPU request, e.g. 50m."""

    memory: MemoryQuantity
    """Memory request, e.g. 128Mi."""

    memory_limit: MemoryQuantity
    """Memory limit; the container is restarted when it uses more."""


class FunctionsConfig(Section):
    """Edge Functions (Deno edge-runtime)."""

    enabled: bool = False
    """Run the functions service and route /functions/v1 to it."""

    verify_jwt: bool = True
    """Require a valid JWT on every function call (one switch for all functions, as upstream)."""

    source_dir: str = "supabase/functions"
    """Folder (relative to the project) holding `main/index.ts` and one folder per function;
    shipped to the cluster as a ConfigMap."""


class SupabaseConfig(Section):
    """Supabase for the app: `managed` keeps the hosted project, `self-hosted` runs it on the cluster."""

    mode: Literal["managed", "self-hosted"] = "managed"
    """`managed` (default): the app gets the hosted project's URL and keys (secrets `supabaseUrl`,
    `supabaseAnonKey`, `supabaseServiceRoleKey`). `self-hosted`: the Supabase services run in the
    `supabase` namespace against the Postgres server; their URL and derived keys are the component's
    outputs."""

    host: Hostname | None = None
    """Self-hosted: public host name of the API gateway and Studio (e.g. supabase.example.com)."""

    site_url: str | None = None
    """Self-hosted: the app's URL; auth mails and OAuth send users back here by default."""

    additional_redirect_urls: list[str] = Field(default_factory=list)
    """Self-hosted: further URLs (globs allowed) auth may redirect to after sign-in."""

    disable_signup: bool = False
    """Self-hosted: refuse new sign-ups (existing users can still sign in)."""

    email_autoconfirm: bool = False
    """Self-hosted: skip the confirmation mail on e-mail sign-up (only for dev stacks without SMTP)."""

    jwt_expiry: int = Field(default=3600, ge=300, le=604800)
    """Self-hosted: lifetime of user access tokens in seconds."""

    key_generation: int = Field(default=1, ge=1)
    """Self-hosted: bump to rotate the JWT secret and re-issue the anon and service_role keys
    (every session and every copy of the old keys stops working)."""

    smtp: SmtpConfig | None = None
    """Self-hosted: mail server for auth mails; required unless `emailAutoconfirm` is true."""

    studio_allowed_cidrs: list[SourceCidr] = Field(default_factory=list)
    """Self-hosted: addresses that may open Studio (after basic auth). Empty: Studio is closed."""

    dashboard_username: str = "supabase"
    """Self-hosted: basic-auth user of Studio; the password is generated (output `dashboardPassword`)."""

    functions: FunctionsConfig = FunctionsConfig()
    """Self-hosted: Edge Functions."""

    storage_bucket: str = "supabase-storage"
    """Self-hosted: bucket of the object store (one of `objectStore.buckets`) Storage keeps files in."""

    resources: dict[str, ServiceResources] = Field(default_factory=dict)
    """Self-hosted: per-service CPU/memory overrides, keyed by service (kong, auth, rest, realtime,
    storage, imgproxy, meta, studio, functions)."""

    @field_validator("site_url")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else _https_url(value)

    @field_validator("additional_redirect_urls")
    @classmethod
    def _redirects(cls, value: list[str]) -> list[str]:
        return [_redirect_url(url) for url in value]

    @field_validator("resources")
    @classmethod
    def _known_services(cls, value: dict[str, ServiceResources]) -> dict[str, ServiceResources]:
        unknown = sorted(set(value) - set(SELF_HOSTED_SERVICES))
        if unknown:
            raise ValueError(f"unknown service(s) {unknown}; allowed: {', '.join(SELF_HOSTED_SERVICES)}")
        return value

    @model_validator(mode="after")
    def _mode_rules(self) -> SupabaseConfig:
        if self.mode == "managed":
            return self
        for key, value in (("host", self.host), ("siteUrl", self.site_url)):
            if value is None:
                raise InvalidSettingError(key, None, "required when mode is self-hosted")
        if self.smtp is None and not self.email_autoconfirm:
            raise InvalidSettingError(
                "smtp",
                None,
                "self-hosted auth needs an SMTP server to send "
                "confirmation mails; set smtp, or emailAutoconfirm: true on a dev stack",
            )
        open_to_world = [cidr for cidr in self.studio_allowed_cidrs if is_world(cidr)]
        if open_to_world:
            raise InvalidSettingError(
                "studioAllowedCidrs",
                self.studio_allowed_cidrs,
                f"{open_to_world[0]} opens Studio (full database access) to the whole "
                "internet; list your office or VPN addresses",
            )
        return self

    @property
    def self_hosted(self) -> bool:
        return self.mode == "self-hosted"

    @property
    def public_url(self) -> str:
        """Self-hosted: the URL clients use, the gateway's."""
        return f"https://{self.host}"

    def resources_for(self, service: str, default: ServiceResources) -> ServiceResources:
        return self.resources.get(service, default)
