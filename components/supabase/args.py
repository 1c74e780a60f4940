"""What the `Supabase` component is built from: its config, the hosted project's keys (managed), or the
Postgres VM and the object store it runs on (self-hosted)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from ..config import StackConfig, StackSecrets
from ..config.supabase import SupabaseConfig
from ..object_store import ObjectStore
from ..postgres import PostgresServer
from ..postgres.component import PORT as POSTGRES_PORT
from .services import Database, ObjectStorage


@dataclass(frozen=True)
class SupabaseDatabase:
    """The Postgres VM self-hosted Supabase runs on (PostgresServer outputs)."""

    host: pulumi.Input[str]
    """IP address of the server (NetworkPolicies allow exactly this address)."""
    name: str
    admin_user: str
    """A superuser: runs the bootstrap SQL, and nothing else connects as it (Studio, postgres-meta
    and Edge Functions use the bootstrap's `supabase_postgres`, as upstream demotes `postgres`)."""
    admin_password: pulumi.Input[str]
    ca_cert: pulumi.Input[str]
    """PEM CA of the server certificate: every connection verifies the server against it."""
    port: int = POSTGRES_PORT

    @classmethod
    def of(cls, server: PostgresServer, name: str) -> SupabaseDatabase | None:
        """The server's superuser login, or None when it has none (managed mode, or no superuser)."""
        if server.superuser is None or server.superuser_password is None or server.ca_cert_pem is None:
            return None
        return cls(server.host, name, server.superuser, server.superuser_password, server.ca_cert_pem)

    @property
    def location(self) -> Database:
        return Database(host=self.host, port=str(self.port), name=self.name, admin_user=self.admin_user)


@dataclass(frozen=True)
class SupabaseStorage:
    """The bucket Storage keeps objects in, and the keys it signs with (ObjectStore outputs)."""

    bucket: ObjectStorage
    access_key_id: pulumi.Input[str]
    secret_access_key: pulumi.Input[str]
    store: ObjectStore | None = None
    """The store itself, which gives the services' namespace its credentials and network path."""

    @classmethod
    def of(cls, store: ObjectStore, bucket: str) -> SupabaseStorage:
        return cls(
            ObjectStorage(store.endpoint, bucket, store.region, store.force_path_style),
            store.access_key_id,
            store.secret_access_key,
            store,
        )


@dataclass(frozen=True)
class SupabaseArgs:
    config: SupabaseConfig

    # Managed mode: the hosted project (stack secrets supabaseUrl, supabaseAnonKey, supabaseServiceRoleKey).
    managed_url: pulumi.Input[str] | None = None
    managed_anon_key: pulumi.Input[str] | None = None
    managed_service_role_key: pulumi.Input[str] | None = None

    # Self-hosted mode: where the services keep their data.
    database: SupabaseDatabase | None = None
    storage: SupabaseStorage | None = None

    smtp_password: pulumi.Input[str] | None = None
    cluster_issuer: str | None = None
    """cert-manager ClusterIssuer that signs the gateway's certificate."""
    trusted_proxy_cidrs: tuple[str, ...] = ("10.42.0.0/16",)
    """Pod CIDR of the cluster: the ingress controller's X-Forwarded-For is trusted from there."""

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        secrets: StackSecrets,
        database: PostgresServer,
        store: ObjectStore | None,
    ) -> SupabaseArgs:
        """Managed mode reads the hosted project's secrets; self-hosted mode takes the Postgres VM's
        superuser and the store's `supabase.storageBucket` (the config loader has checked both exist)."""
        supabase = config.supabase
        self_hosted = supabase.self_hosted
        return cls(
            config=supabase,
            managed_url=secrets.supabase_url,
            managed_anon_key=secrets.supabase_anon_key,
            managed_service_role_key=secrets.supabase_service_role_key,
            database=SupabaseDatabase.of(database, config.postgres.database) if self_hosted else None,
            storage=SupabaseStorage.of(store, supabase.storage_bucket) if self_hosted and store else None,
            smtp_password=secrets.supabase_smtp_password,
            cluster_issuer=config.cluster_issuer,
            trusted_proxy_cidrs=(config.cluster.cluster_cidr,),
        )

    def missing_for_self_hosted(self) -> list[str]:
        required: dict[str, object] = {
            "database": self.database,
            "storage": self.storage,
            "cluster_issuer": self.cluster_issuer,
        }
        if self.config.smtp is not None and self.config.smtp.user:
            required["smtp_password"] = self.smtp_password
        return [name for name, value in required.items() if value is None]
