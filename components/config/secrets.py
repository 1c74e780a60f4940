"""Secret stack settings: set with `pulumi config set --secret`, kept as Pulumi secrets to the end.

Secrets are top-level keys so that every other section stays plain data that can be validated before
anything is registered. Each one says when it is required.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from .stack import StackConfig


@dataclass(frozen=True)
class SecretSpec:
    key: str
    description: str
    required_when: Callable[[StackConfig], bool] = lambda _config: True
    required_because: str = "always"
    offline_example: str = ""
    """Shape of a stand-in value for offline runs when the shape matters (a URL must parse as one)."""


SECRET_SPECS: tuple[SecretSpec, ...] = (
    SecretSpec(
        "hcloudToken",
        "Hetzner Cloud API token (read/write) for Pulumi and for the in-cluster CCM and CSI driver.",
    ),
    SecretSpec(
        "objectStorageAccessKey",
        "Hetzner Object Storage access key (Cloud Console > Security > S3 credentials).",
        lambda c: c.object_store.mode == "hetzner",
        "objectStore.mode is hetzner",
    ),
    SecretSpec(
        "objectStorageSecretKey",
        "Hetzner Object Storage secret key, shown once when the access key is created.",
        lambda c: c.object_store.mode == "hetzner",
        "objectStore.mode is hetzner",
    ),
    SecretSpec(
        "alertDiscordWebhookUrl",
        "Discord channel webhook URL that Alertmanager posts alerts to.",
        lambda c: "discord" in c.observability.alert_receivers,
        "observability.alertReceivers lists discord",
        "https://discord.com/api/webhooks/0/offline-stand-in",
    ),
    SecretSpec(
        "alertWebhookUrl",
        "HTTP endpoint that receives Alertmanager's webhook payloads (and the Watchdog heartbeat).",
        lambda c: "webhook" in c.observability.alert_receivers,
        "observability.alertReceivers lists webhook",
        "https://hooks.example.com/offline-stand-in",
    ),
    SecretSpec(
        "supabaseUrl",
        "URL of the managed Supabase project, e.g. https://abcd.supabase.co (handed to the web/API).",
        lambda c: c.app is not None and not c.supabase.self_hosted,
        "app is configured and supabase.mode is managed",
        "https://offline-stand-in.supabase.co",
    ),
    SecretSpec(
        "supabaseAnonKey",
        "Supabase anon (public) API key of the project.",
        lambda c: c.app is not None and not c.supabase.self_hosted,
        "app is configured and supabase.mode is managed",
    ),
    SecretSpec(
        "supabaseServiceRoleKey",
        "Supabase service_role key (bypasses row-level security; server side only).",
        lambda c: c.app is not None and not c.supabase.self_hosted,
        "app is configured and supabase.mode is managed",
    ),
    SecretSpec(
        "postgresS3AccessKey",
        "S3 access key of the pgBackRest repository bucket (Hetzner Object Storage credentials).",
        required_when=lambda c: c.postgres.mode == "vm",
        required_because="postgres.mode is vm",
    ),
    SecretSpec(
        "postgresS3SecretKey",
        "S3 secret key of the pgBackRest repository bucket.",
        required_when=lambda c: c.postgres.mode == "vm",
        required_because="postgres.mode is vm",
    ),
    SecretSpec(
        "postgresManagedUrl",
        "Connection URL of the managed PostgreSQL (postgresql://user:pass@host:5432/db?sslmode=verify-full).",
        required_when=lambda c: c.postgres.mode == "managed",
        required_because="postgres.mode is managed",
    ),
    SecretSpec(
        "etcdS3AccessKey",
        "S3 access key for off-site etcd snapshots (cluster.etcdBackup).",
        required_when=lambda c: c.cluster.etcd_backup.offsite_enabled(c.is_prod),
        required_because="cluster.etcdBackup.offsite is on (the default in prod)",
    ),
    SecretSpec(
        "etcdS3SecretKey",
        "S3 secret key for off-site etcd snapshots (cluster.etcdBackup).",
        required_when=lambda c: c.cluster.etcd_backup.offsite_enabled(c.is_prod),
        required_because="cluster.etcdBackup.offsite is on (the default in prod)",
    ),
    SecretSpec(
        "autoscalerHcloudToken",
        "Hetzner Cloud token for the cluster-autoscaler only (revocable on its own); "
        "defaults to hcloudToken.",
        required_when=lambda _c: False,
        required_because="never; hcloudToken is used when it is not set",
    ),
    SecretSpec(
        "supabaseSmtpPassword",
        "password of supabase.smtp.user on the SMTP server self-hosted auth sends mail through.",
        required_when=lambda c: c.supabase.self_hosted and bool(c.supabase.smtp and c.supabase.smtp.user),
        required_because="supabase.smtp.user is set in self-hosted mode",
    ),
)


S3Keys = tuple[pulumi.Output[str], pulumi.Output[str]]
"""(access key, secret key) of an S3 bucket."""


def attribute_name(key: str) -> str:
    """The `StackSecrets` attribute of a stack-file key: `etcdS3AccessKey` -> `etcd_s3_access_key`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


@dataclass(frozen=True)
class StackSecrets:
    """The secret values of a stack: one attribute per `SecretSpec` (named by `attribute_name`), each a
    secret `pulumi.Output[str]`, or None when not set. A misspelt name is a type error, not a None.

    The loader has refused a stack that lacks a secret its configuration requires (`required_when`),
    so a component that needs one may rely on it being set in that configuration.
    """

    hcloud_token: pulumi.Output[str]
    object_storage_access_key: pulumi.Output[str] | None = None
    object_storage_secret_key: pulumi.Output[str] | None = None
    alert_discord_webhook_url: pulumi.Output[str] | None = None
    alert_webhook_url: pulumi.Output[str] | None = None
    supabase_url: pulumi.Output[str] | None = None
    supabase_anon_key: pulumi.Output[str] | None = None
    supabase_service_role_key: pulumi.Output[str] | None = None
    postgres_s3_access_key: pulumi.Output[str] | None = None
    postgres_s3_secret_key: pulumi.Output[str] | None = None
    postgres_managed_url: pulumi.Output[str] | None = None
    etcd_s3_access_key: pulumi.Output[str] | None = None
    etcd_s3_secret_key: pulumi.Output[str] | None = None
    autoscaler_hcloud_token: pulumi.Output[str] | None = None
    supabase_smtp_password: pulumi.Output[str] | None = None

    @property
    def object_storage_keys(self) -> S3Keys | None:
        return _pair(self.object_storage_access_key, self.object_storage_secret_key)

    @property
    def etcd_s3_keys(self) -> S3Keys | None:
        return _pair(self.etcd_s3_access_key, self.etcd_s3_secret_key)


def _pair(access: pulumi.Output[str] | None, secret: pulumi.Output[str] | None) -> S3Keys | None:
    return (access, secret) if access is not None and secret is not None else None
