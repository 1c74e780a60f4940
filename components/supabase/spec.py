"""The shape of a self-hosted Supabase service (`ServiceSpec`) and what every service shares: where the
database is and how a service reaches it over TLS, the object storage, the gateway, the default sizes.

services.py and studio.py fill it in per service; workload.py turns a spec into Kubernetes objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from ..config.supabase import ServiceResources

DB_CA_CONFIGMAP = "supabase-db-ca"
DB_CA_DIR = "/etc/supabase/db-ca"
DB_CA_FILE = f"{DB_CA_DIR}/ca.crt"

DASHBOARD_DB_ROLE = "supabase_postgres"
"""Upstream's `postgres`, not a superuser (files/bootstrap.sql): Studio, postgres-meta and Edge
Functions connect as it."""
READ_ONLY_DB_ROLE = "supabase_read_only_user"
"""Studio's read-only role: the default of its POSTGRES_USER_READ_ONLY (apps/studio/lib/api/self-hosted/
constants.ts), logging in with POSTGRES_PASSWORD like the read-write role."""

GATEWAY_URL = "http://kong:8000"
"""How services inside the namespace reach the gateway (upstream: http://api-gw:8000)."""

EXPOSED_SCHEMAS = "public,graphql_public"
"""What PostgREST serves: managed projects' default (upstream's compose also adds `storage`;
docs/supabase.md lists the differences)."""
MAX_ROWS = "1000"


@dataclass(frozen=True)
class SecretEnv:
    """An env var whose value is key `key` of the `supabase-env` Secret."""

    key: str


@dataclass(frozen=True)
class DatabaseCaEnv:
    """An env var whose value is the database CA certificate itself (PEM), from the CA ConfigMap."""


EnvValue = pulumi.Input[str] | SecretEnv | DatabaseCaEnv


@dataclass(frozen=True)
class Probe:
    kind: Literal["http", "tcp", "exec"]
    port: int = 0
    path: str = ""
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    image: str
    port: int
    env: Mapping[str, EnvValue]
    resources: ServiceResources
    run_as_user: int
    probe: Probe
    writable_paths: tuple[str, ...] = ("/tmp",)
    """emptyDir mounts; the rest of the root filesystem is read-only unless `read_only_root` is false."""
    read_only_root: bool = True
    security_note: str = ""
    """Why the security context is weaker than the restricted default, when it is."""
    args: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    """Replaces the image's entrypoint when set."""
    uses_database: bool = False
    """Mount the database CA and reach the Postgres server."""
    added_env: Mapping[str, str] = field(default_factory=dict)
    """Env vars upstream does not set for this service, with the reason."""
    dropped_env: Mapping[str, str] = field(default_factory=dict)
    """Upstream env vars we leave out, with the reason."""


@dataclass(frozen=True)
class Database:
    """Where the Postgres server is; every connection verifies its certificate against the CA."""

    host: pulumi.Input[str]
    port: pulumi.Input[str]
    name: pulumi.Input[str]
    admin_user: pulumi.Input[str]
    """The superuser the bootstrap Job logs in as (no service connects as it)."""


@dataclass(frozen=True)
class ObjectStorage:
    endpoint: pulumi.Input[str]
    bucket: pulumi.Input[str]
    region: pulumi.Input[str]
    force_path_style: bool


DSN_TLS_QUERY = f"?sslmode=verify-full&sslrootcert={DB_CA_FILE}"
"""libpq-style TLS parameters every DSN ends with (GoTrue, PostgREST, Storage and Deno read them)."""


DEFAULT_RESOURCES: dict[str, ServiceResources] = {
    # Requests sized for a 4 GiB node; limits leave room for bursts (Studio's Next.js server most).
    "kong": ServiceResources(cpu="50m", memory="192Mi", memory_limit="384Mi"),
    "auth": ServiceResources(cpu="20m", memory="48Mi", memory_limit="192Mi"),
    "rest": ServiceResources(cpu="20m", memory="64Mi", memory_limit="256Mi"),
    "realtime": ServiceResources(cpu="50m", memory="192Mi", memory_limit="512Mi"),
    "storage": ServiceResources(cpu="25m", memory="128Mi", memory_limit="384Mi"),
    "imgproxy": ServiceResources(cpu="25m", memory="96Mi", memory_limit="512Mi"),
    "meta": ServiceResources(cpu="20m", memory="96Mi", memory_limit="256Mi"),
    "studio": ServiceResources(cpu="50m", memory="256Mi", memory_limit="768Mi"),
    "functions": ServiceResources(cpu="50m", memory="192Mi", memory_limit="512Mi"),
}

KEY_TRANSLATION = (
    "only the legacy HS256 anon/service_role keys are issued; the opaque sb_ keys and "
    "their ES256 JWTs are not generated"
)


def env_bool(value: bool) -> str:
    return "true" if value else "false"
