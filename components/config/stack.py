"""The root of the typed stack configuration: one object per stack, validated as a whole."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .app import AppConfig
from .base import InvalidSettingError, Section, SourceCidr, is_world
from .catalog import ALL_LOCATIONS, NETWORK_ZONES, ORDERABLE_CHECKED, SERVER_TYPES, orderable_alternative
from .cluster import ClusterConfig
from .ingress import IngressConfig
from .network import NetworkConfig
from .object_store import ObjectStoreConfig, check_store_users
from .observability import ObservabilityConfig
from .postgres import PostgresConfig
from .supabase import SupabaseConfig
from .workloads import WorkloadsConfig

_SSH_KEY = re.compile(
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$"
)


class StackConfig(Section):
    """Everything a stack file (`Pulumi.<stack>.yaml`) may set under the project namespace."""

    environment: Literal["dev", "staging", "prod"]
    """Which environment this stack is; prod turns on protections and stricter checks."""

    location: str = "nbg1"
    """Hetzner location of every server (fsn1, nbg1, hel1, ash, hil, sin)."""

    admin_cidrs: list[SourceCidr] = Field(min_length=1)
    """Addresses allowed to reach SSH and the Kubernetes API on the public interfaces."""

    ssh_public_keys: list[str] = Field(min_length=1)
    """OpenSSH public keys installed for root on every server (Hetzner then never mails passwords)."""

    legacy_server_types: bool = False
    """This Hetzner project can still order server types new projects cannot (CX and CAX since
    2026-09-03); allows them. `scripts/preflight.sh` checks what the project can really order."""

    protect: bool | None = None
    """Delete and rebuild protection on stateful servers and volumes; defaults to true in prod."""

    network: NetworkConfig = NetworkConfig()
    """The private network."""

    cluster: ClusterConfig = ClusterConfig()
    """The k3s cluster."""

    workloads: WorkloadsConfig = WorkloadsConfig()
    """Background workers, scheduled jobs and the public API's rate limit (Phase 2)."""

    object_store: ObjectStoreConfig = ObjectStoreConfig()
    """S3-compatible object storage (Phase 3)."""

    ingress: IngressConfig = IngressConfig()
    """Traefik, its load balancer and TLS certificates."""

    observability: ObservabilityConfig = ObservabilityConfig()
    """Metrics, logs, dashboards and alert routing."""

    app: AppConfig | None = None
    """The product's workloads (Phase 1: the web/API). Unset: the platform runs without the app."""

    postgres: PostgresConfig = PostgresConfig()
    """The application database (phase 4): managed, or the PostgreSQL VM."""

    supabase: SupabaseConfig = SupabaseConfig()
    """Supabase: managed (URL and keys from config) or self-hosted on the cluster."""

    @field_validator("location")
    @classmethod
    def _known_location(cls, value: str) -> str:
        if value not in ALL_LOCATIONS:
            raise ValueError(f"unknown Hetzner location {value!r}; allowed: {', '.join(ALL_LOCATIONS)}")
        return value

    @field_validator("ssh_public_keys")
    @classmethod
    def _openssh_keys(cls, value: list[str]) -> list[str]:
        for key in value:
            if not _SSH_KEY.match(key.strip()):
                shown = key if len(key) < 40 else key[:37] + "..."
                raise ValueError(
                    f"{shown!r} is not an OpenSSH public key (expected 'ssh-ed25519 AAAA... comment')"
                )
        return [key.strip() for key in value]

    @model_validator(mode="after")
    def _whole_stack_rules(self) -> StackConfig:
        if self.environment == "prod":
            open_to_world = [c for c in self.admin_cidrs if is_world(c)]
            if open_to_world:
                raise InvalidSettingError(
                    "adminCidrs",
                    self.admin_cidrs,
                    f"{open_to_world[0]} is not allowed in prod: SSH and the Kubernetes API would be open "
                    "to the whole internet; list your office or VPN addresses instead",
                )
        for role, server_type in self.server_type_settings():
            offered = SERVER_TYPES[server_type].locations
            if self.location not in offered:
                raise InvalidSettingError(
                    f"{role}.serverType",
                    server_type,
                    f"not sold in {self.location}; it is offered in {', '.join(offered)}",
                )
            self._check_orderable(role, server_type)
        if self.cluster.autoscaler.enabled:
            problem = self.cluster.autoscaler.check_against(self.location)
            if problem:
                key, value, reason = problem
                raise InvalidSettingError(f"cluster.autoscaler.{key}", value, reason)
            self._check_orderable("cluster.autoscaler", self.cluster.autoscaler.server_type)
        private = ipaddress.ip_network(self.network.cidr)
        for key, cidr in (
            ("cluster.clusterCidr", self.cluster.cluster_cidr),
            ("cluster.serviceCidr", self.cluster.service_cidr),
        ):
            if ipaddress.ip_network(cidr).overlaps(private):
                raise InvalidSettingError(
                    key, cidr, f"overlaps network.cidr {private}; pick a disjoint range"
                )
        return self

    def _self_hosted_supabase_rules(self) -> None:
        """Self-hosted Supabase runs on the Postgres VM and keeps Storage's files in the object store."""
        if not self.supabase.self_hosted:
            return
        if self.postgres.mode == "managed":
            raise InvalidSettingError(
                "postgres.mode",
                self.postgres.mode,
                "supabase.mode is self-hosted, which needs the Postgres VM (a superuser and logical "
                "replication); set postgres.mode: vm or supabase.mode: managed",
            )
        if not self.object_store.enabled:
            raise InvalidSettingError(
                "objectStore.mode",
                self.object_store.mode,
                "supabase.mode is self-hosted, whose Storage keeps files in the object store; set "
                "objectStore.mode to in-cluster or hetzner, or supabase.mode: managed",
            )
        names = [bucket.name for bucket in self.object_store.buckets]
        if self.supabase.storage_bucket not in names:
            raise InvalidSettingError(
                "supabase.storageBucket",
                self.supabase.storage_bucket,
                f"is not one of objectStore.buckets ({', '.join(names)}); add a bucket of that name "
                "or set storageBucket to one of them",
            )

    @model_validator(mode="after")
    def _phase2_3_rules(self) -> StackConfig:
        if self.workloads.enabled and self.app is None:
            raise InvalidSettingError(
                "workloads",
                "(set)",
                "needs the app section: workers, cron jobs and the API rate limit run in the app's "
                "namespace with its Secrets; configure app or remove workloads",
            )
        check_store_users(self.object_store, self.location, self.workloads.store_users())
        self._self_hosted_supabase_rules()
        return self

    @model_validator(mode="after")
    def _phase1_rules(self) -> StackConfig:
        receivers = self.observability.alert_receivers
        if self.is_prod and not receivers:
            raise InvalidSettingError(
                "observability.alertReceivers",
                receivers,
                "is empty in prod, so alerts would reach nobody; add discord and/or webhook",
            )
        if self.observability.dead_mans_switch and "webhook" not in receivers:
            raise InvalidSettingError(
                "observability.deadMansSwitch",
                True,
                "needs the webhook receiver (add webhook to observability.alertReceivers)",
            )
        grafana = self.observability.grafana_hostname
        if grafana and self.app and grafana in self.app.hostnames:
            raise InvalidSettingError(
                "observability.grafanaHostname", grafana, "is also an app hostname; give Grafana its own name"
            )
        return self

    @property
    def cluster_issuer(self) -> str:
        """ClusterIssuer for every Ingress: the configured one, else Let's Encrypt prod only in prod."""
        if self.ingress.issuer:
            return self.ingress.issuer
        return "letsencrypt-prod" if self.is_prod else "letsencrypt-staging"

    def server_type_settings(self) -> list[tuple[str, str]]:
        """(config key, server type) for every kind of server the stack orders."""
        pools = [(f"cluster.agentPools[{i}]", p.server_type) for i, p in enumerate(self.cluster.agent_pools)]
        database = [("postgres", self.postgres.server_type)] if self.postgres.mode == "vm" else []
        return [("cluster.controlPlane", self.cluster.control_plane.server_type), *pools, *database]

    def _check_orderable(self, role: str, server_type: str) -> None:
        if self.legacy_server_types or self.location in SERVER_TYPES[server_type].orderable:
            return
        alternative = orderable_alternative(server_type, self.location)
        instead = (
            f"use {alternative.name} ({alternative.vcpus} vCPU, {alternative.memory_gib} GB)"
            if alternative
            else "pick another type"
        )
        raise InvalidSettingError(
            f"{role}.serverType",
            server_type,
            f"new Hetzner projects cannot order it in {self.location} (hetzner.com, {ORDERABLE_CHECKED}); "
            f"{instead}, or set legacyServerTypes: true if your project still can "
            "(scripts/preflight.sh checks)",
        )

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def protected(self) -> bool:
        """Whether stateful resources get delete/rebuild protection (explicit `protect`, else prod)."""
        return self.is_prod if self.protect is None else self.protect

    @property
    def network_zone(self) -> str:
        return NETWORK_ZONES[self.location]
