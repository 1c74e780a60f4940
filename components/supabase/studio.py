"""Studio (the dashboard) and postgres-meta, the API through which Studio reads and changes the database."""

from __future__ import annotations

import pulumi

from .. import versions
from ..config.supabase import SupabaseConfig
from .spec import (
    DASHBOARD_DB_ROLE,
    DEFAULT_RESOURCES,
    EXPOSED_SCHEMAS,
    GATEWAY_URL,
    KEY_TRANSLATION,
    MAX_ROWS,
    Database,
    DatabaseCaEnv,
    Probe,
    SecretEnv,
    ServiceSpec,
)


def meta(config: SupabaseConfig, database: Database) -> ServiceSpec:
    return ServiceSpec(
        name="meta",
        image=versions.SUPABASE_IMAGES["meta"],
        port=8080,
        env={
            "PG_META_PORT": "8080",
            "PG_META_DB_HOST": database.host,
            "PG_META_DB_PORT": database.port,
            "PG_META_DB_NAME": database.name,
            "PG_META_DB_USER": DASHBOARD_DB_ROLE,
            "PG_META_DB_PASSWORD": SecretEnv("dashboard-database-password"),
            "CRYPTO_KEY": SecretEnv("pg-meta-crypto-key"),
            "PG_META_DB_SSL_MODE": "verify-full",
            "PG_META_DB_SSL_ROOT_CERT": DatabaseCaEnv(),
        },
        resources=config.resources_for("meta", DEFAULT_RESOURCES["meta"]),
        run_as_user=1000,
        probe=Probe("tcp", port=8080),
        uses_database=True,
        added_env={
            "PG_META_DB_SSL_MODE": "connect to the Postgres server over TLS and verify its name ...",
            "PG_META_DB_SSL_ROOT_CERT": "... against the database CA (PEM text). It also applies to the "
            "connection strings Studio sends without sslmode, which would otherwise go out unencrypted",
        },
    )


def studio(config: SupabaseConfig, database: Database, public_url: str) -> ServiceSpec:
    return ServiceSpec(
        name="studio",
        image=versions.SUPABASE_IMAGES["studio"],
        port=3000,
        env={
            "HOSTNAME": "0.0.0.0",
            "STUDIO_PG_META_URL": "http://meta:8080",
            "POSTGRES_PORT": database.port,
            "POSTGRES_HOST": database.host,
            "POSTGRES_DB": database.name,
            "POSTGRES_PASSWORD": SecretEnv("dashboard-database-password"),
            "POSTGRES_USER_READ_WRITE": DASHBOARD_DB_ROLE,
            "PG_META_CRYPTO_KEY": SecretEnv("pg-meta-crypto-key"),
            "PGRST_DB_SCHEMAS": EXPOSED_SCHEMAS,
            "PGRST_DB_MAX_ROWS": MAX_ROWS,
            "PGRST_DB_EXTRA_SEARCH_PATH": "public",
            "DEFAULT_ORGANIZATION_NAME": "Default Organization",
            "DEFAULT_PROJECT_NAME": pulumi.get_stack(),
            "SUPABASE_URL": GATEWAY_URL,
            "SUPABASE_PUBLIC_URL": public_url,
            "SUPABASE_ANON_KEY": SecretEnv("anon-key"),
            "SUPABASE_SERVICE_KEY": SecretEnv("service-role-key"),
            "AUTH_JWT_SECRET": SecretEnv("jwt-secret"),
            "ENABLED_FEATURES_LOGS_ALL": "false",
            "SNIPPETS_MANAGEMENT_FOLDER": "/app/snippets",
            "EDGE_FUNCTIONS_MANAGEMENT_FOLDER": "/app/edge-functions",
        },
        resources=config.resources_for("studio", DEFAULT_RESOURCES["studio"]),
        run_as_user=1001,  # `nextjs` in the Next.js standalone image
        probe=Probe("http", port=3000, path="/api/platform/profile"),
        writable_paths=("/tmp", "/app/snippets"),
        read_only_root=False,
        security_note="Next.js writes its cache under the app directory, so the root filesystem stays "
        "writable (still non-root, no capabilities)",
        dropped_env={
            "OPENAI_API_KEY": "Studio's AI assistant is off: no third-party API key is configured",
            "SUPABASE_PUBLISHABLE_KEY": KEY_TRANSLATION,
            "SUPABASE_SECRET_KEY": KEY_TRANSLATION,
        },
    )
