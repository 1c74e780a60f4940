"""What each self-hosted Supabase service runs: image, port, environment, probes, security context.

Environment variable names are upstream's for the pinned release (components/versions.py); where we
add or drop one, the spec says why (`added_env` / `dropped_env`), and tests/supabase compares the
result with upstream's lists. Values that are secret are `SecretEnv` references into the
`supabase-env` Kubernetes Secret, never literal values in the pod spec.
"""

from __future__ import annotations

import pulumi

from .. import versions
from ..config.supabase import SupabaseConfig
from .spec import (
    DB_CA_FILE,
    DEFAULT_RESOURCES,
    EXPOSED_SCHEMAS,
    GATEWAY_URL,
    KEY_TRANSLATION,
    MAX_ROWS,
    Database,
    EnvValue,
    ObjectStorage,
    Probe,
    SecretEnv,
    ServiceSpec,
    env_bool,
)
from .studio import meta, studio

KONG_PREFIX = "/kong_prefix"
"""Kong's working directory (nginx.conf, pids, sockets): a scratch volume. The image's default prefix,
/usr/local/kong, also holds the OpenSSL and other libraries nginx is linked against, so a volume
there would hide them."""

_REALTIME_TENANT_TLS = (
    # Realtime's own tables are found through DB_AFTER_CONNECT_QUERY's search_path, as Realtime
    # itself finds them; `extensions` holds the tenant's connection settings.
    "Application.load(:realtime); "
    "{:ok, _, _} = Ecto.Migrator.with_repo(Realtime.Repo, fn repo -> Ecto.Adapters.SQL.query!(repo, "
    '"UPDATE extensions SET settings = jsonb_set(settings, ARRAY[$1], to_jsonb(true)) WHERE type = $2", '
    '["ssl_enforced", "postgres_cdc_rls"]) end)'
)
REALTIME_START = (
    # What the image's run.sh does, minus its `sudo -E -u nobody` (no setuid under
    # allowPrivilegeEscalation: false; the container already runs as nobody): migrate Realtime's own
    # schema, seed the self-hosted tenant, then make the tenant's database connections use TLS (the
    # seed writes ssl_enforced = false and the database accepts only TLS), and start the server.
    'set -eu; [ -z "${RLIMIT_NOFILE:-}" ] || ulimit -Sn "$RLIMIT_NOFILE"; '
    "/app/bin/migrate; "
    "/app/bin/realtime eval 'Realtime.Release.seeds(Realtime.Repo)'; "
    f"/app/bin/realtime eval '{_REALTIME_TENANT_TLS}'; "
    "exec /app/bin/server"
)
"""Realtime's start command (run under the image's tini)."""

STORAGE_TENANT_ID = "stub"
"""Upstream's STORAGE_TENANT_ID; a single-tenant Storage keeps it."""


def kong(config: SupabaseConfig, trusted_proxy_cidrs: tuple[str, ...]) -> ServiceSpec:
    rendered = (
        "rendered into the declarative config (a Kubernetes Secret) by Pulumi instead of by upstream's "
        "entrypoint script"
    )
    return ServiceSpec(
        name="kong",
        image=versions.SUPABASE_IMAGES["kong"],
        port=8000,
        env={
            "KONG_DATABASE": "off",
            "KONG_DECLARATIVE_CONFIG": "/etc/kong/declarative/kong.yml",
            "KONG_ROUTER_FLAVOR": "expressions",
            "KONG_DNS_ORDER": "LAST,A,CNAME",
            "KONG_DNS_NOT_FOUND_TTL": "1",
            "KONG_DNS_VALID_TTL": "5",
            "KONG_PLUGINS": "request-transformer,cors,key-auth,acl,basic-auth,request-termination,"
            "ip-restriction,post-function,pre-function",
            "KONG_NGINX_PROXY_PROXY_BUFFER_SIZE": "160k",
            "KONG_NGINX_PROXY_PROXY_BUFFERS": "64 160k",
            "KONG_PROXY_ACCESS_LOG": "/dev/stdout combined",
            "KONG_PROXY_LISTEN": "0.0.0.0:8000",
            "KONG_STATUS_LISTEN": "0.0.0.0:8100",
            "KONG_PREFIX": KONG_PREFIX,
            "KONG_TRUSTED_IPS": ",".join(trusted_proxy_cidrs),
            "KONG_REAL_IP_HEADER": "X-Forwarded-For",
            "KONG_REAL_IP_RECURSIVE": "on",
        },
        resources=config.resources_for("kong", DEFAULT_RESOURCES["kong"]),
        run_as_user=1000,
        probe=Probe("http", port=8100, path="/status/ready"),
        writable_paths=("/tmp", KONG_PREFIX),
        added_env={
            "KONG_PROXY_LISTEN": "plain HTTP only: TLS ends at the Ingress, so no self-signed 8443 listener",
            "KONG_STATUS_LISTEN": "the status endpoint the readiness probe calls",
            "KONG_PREFIX": "a scratch volume as working directory; the image keeps its libraries in view",
            "KONG_TRUSTED_IPS": "trust X-Forwarded-For from the ingress controller's pods ...",
            "KONG_REAL_IP_HEADER": "... so Studio's IP allow-list sees the client address",
            "KONG_REAL_IP_RECURSIVE": "... taking the last untrusted address in the chain",
        },
        dropped_env={
            "SUPABASE_ANON_KEY": rendered,
            "SUPABASE_SERVICE_KEY": rendered,
            "DASHBOARD_USERNAME": rendered,
            "DASHBOARD_PASSWORD": rendered,
            "JWT_ISSUER": rendered + " (it only derives the OAuth metadata path)",
            "SUPABASE_PUBLISHABLE_KEY": KEY_TRANSLATION,
            "SUPABASE_SECRET_KEY": KEY_TRANSLATION,
            "ANON_KEY_ASYMMETRIC": KEY_TRANSLATION,
            "SERVICE_ROLE_KEY_ASYMMETRIC": KEY_TRANSLATION,
        },
    )


def auth(config: SupabaseConfig, public_url: str) -> ServiceSpec:
    api_external_url = f"{public_url}/auth/v1"
    env: dict[str, EnvValue] = {
        "GOTRUE_API_HOST": "0.0.0.0",
        "GOTRUE_API_PORT": "9999",
        "API_EXTERNAL_URL": api_external_url,
        "GOTRUE_DB_DRIVER": "postgres",
        "GOTRUE_DB_DATABASE_URL": SecretEnv("auth-database-url"),
        "GOTRUE_SITE_URL": config.site_url or "",
        "GOTRUE_URI_ALLOW_LIST": ",".join(config.additional_redirect_urls),
        "GOTRUE_DISABLE_SIGNUP": env_bool(config.disable_signup),
        "GOTRUE_JWT_ADMIN_ROLES": "service_role",
        "GOTRUE_JWT_AUD": "authenticated",
        "GOTRUE_JWT_DEFAULT_GROUP_NAME": "authenticated",
        "GOTRUE_JWT_EXP": str(config.jwt_expiry),
        "GOTRUE_JWT_SECRET": SecretEnv("jwt-secret"),
        "GOTRUE_JWT_ISSUER": api_external_url,
        "GOTRUE_EXTERNAL_EMAIL_ENABLED": "true",
        "GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED": "false",
        "GOTRUE_MAILER_AUTOCONFIRM": env_bool(config.email_autoconfirm),
        "GOTRUE_MAILER_URLPATHS_INVITE": "/auth/v1/verify",
        "GOTRUE_MAILER_URLPATHS_CONFIRMATION": "/auth/v1/verify",
        "GOTRUE_MAILER_URLPATHS_RECOVERY": "/auth/v1/verify",
        "GOTRUE_MAILER_URLPATHS_EMAIL_CHANGE": "/auth/v1/verify",
        "GOTRUE_EXTERNAL_PHONE_ENABLED": "false",
        "GOTRUE_SMS_AUTOCONFIRM": "false",
    }
    dropped: dict[str, str] = {}
    if config.smtp is not None:
        env |= {
            "GOTRUE_SMTP_ADMIN_EMAIL": config.smtp.admin_email,
            "GOTRUE_SMTP_HOST": config.smtp.host,
            "GOTRUE_SMTP_PORT": str(config.smtp.port),
            "GOTRUE_SMTP_SENDER_NAME": config.smtp.sender_name,
        }
        if config.smtp.user:
            env |= {"GOTRUE_SMTP_USER": config.smtp.user, "GOTRUE_SMTP_PASS": SecretEnv("smtp-password")}
        else:
            dropped |= {
                name: "the SMTP server needs no login (supabase.smtp.user is empty)"
                for name in ("GOTRUE_SMTP_USER", "GOTRUE_SMTP_PASS")
            }
    else:
        dropped |= {
            name: "no SMTP server configured (emailAutoconfirm on a dev stack)"
            for name in (
                "GOTRUE_SMTP_ADMIN_EMAIL",
                "GOTRUE_SMTP_HOST",
                "GOTRUE_SMTP_PORT",
                "GOTRUE_SMTP_USER",
                "GOTRUE_SMTP_PASS",
                "GOTRUE_SMTP_SENDER_NAME",
            )
        }
    return ServiceSpec(
        name="auth",
        image=versions.SUPABASE_IMAGES["auth"],
        port=9999,
        env=env,
        resources=config.resources_for("auth", DEFAULT_RESOURCES["auth"]),
        run_as_user=1000,  # the image's `supabase` user
        probe=Probe("http", port=9999, path="/health"),
        uses_database=True,
        dropped_env=dropped,
    )


def rest(config: SupabaseConfig) -> ServiceSpec:
    return ServiceSpec(
        name="rest",
        image=versions.SUPABASE_IMAGES["rest"],
        port=3000,
        env={
            "PGRST_DB_URI": SecretEnv("rest-database-url"),
            "PGRST_DB_SCHEMAS": EXPOSED_SCHEMAS,
            "PGRST_DB_MAX_ROWS": MAX_ROWS,
            "PGRST_DB_EXTRA_SEARCH_PATH": "public",
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_ADMIN_SERVER_PORT": "3001",
            "PGRST_ADMIN_SERVER_HOST": "localhost",
            "PGRST_JWT_SECRET": SecretEnv("jwt-secret"),
            "PGRST_DB_USE_LEGACY_GUCS": "false",
            "PGRST_APP_SETTINGS_JWT_EXP": str(config.jwt_expiry),
        },
        resources=config.resources_for("rest", DEFAULT_RESOURCES["rest"]),
        run_as_user=1000,
        probe=Probe("exec", command=("postgrest", "--ready")),
        args=("postgrest",),
        uses_database=True,
    )


def realtime(config: SupabaseConfig, database: Database) -> ServiceSpec:
    env: dict[str, EnvValue] = {
        "PORT": "4000",
        "DB_HOST": database.host,
        "DB_PORT": database.port,
        "DB_USER": "supabase_admin",
        "DB_PASSWORD": SecretEnv("realtime-database-password"),
        "DB_NAME": database.name,
        "DB_AFTER_CONNECT_QUERY": "SET search_path TO _realtime",
        "DB_ENC_KEY": SecretEnv("realtime-db-enc-key"),
        "API_JWT_SECRET": SecretEnv("jwt-secret"),
        "SECRET_KEY_BASE": SecretEnv("realtime-secret-key-base"),
        "METRICS_JWT_SECRET": SecretEnv("jwt-secret"),
        "ERL_AFLAGS": "-proto_dist inet_tcp",
        "DNS_NODES": "''",
        "RLIMIT_NOFILE": "10000",
        "APP_NAME": "realtime",
        "SEED_SELF_HOST": "true",
        "RUN_JANITOR": "true",
        "DISABLE_HEALTHCHECK_LOGGING": "true",
        "SELF_HOST_TENANT_NAME": "realtime-dev",
        "DB_SSL": "true",
        "DB_SSL_CA_CERT": DB_CA_FILE,
    }
    return ServiceSpec(
        name="realtime",
        image=versions.SUPABASE_IMAGES["realtime"],
        port=4000,
        env=env,
        resources=config.resources_for("realtime", DEFAULT_RESOURCES["realtime"]),
        run_as_user=65534,
        read_only_root=False,
        security_note="the Elixir release writes its runtime files next to itself, so the root "
        "filesystem stays writable (still non-root, no capabilities)",
        probe=Probe("tcp", port=4000),
        command=("/usr/bin/tini", "-s", "-g", "--", "/bin/sh", "-c", REALTIME_START),
        uses_database=True,
        added_env={
            "SELF_HOST_TENANT_NAME": "names the seeded tenant explicitly; it must equal the first label "
            "of the Host header Kong sends (realtime-dev.supabase-realtime)",
            "DB_SSL": "connect to the Postgres server over TLS ...",
            "DB_SSL_CA_CERT": "... and verify its certificate against the database CA",
        },
    )


def storage(config: SupabaseConfig, public_url: str, objects: ObjectStorage) -> ServiceSpec:
    return ServiceSpec(
        name="storage",
        image=versions.SUPABASE_IMAGES["storage"],
        port=5000,
        env={
            "ANON_KEY": SecretEnv("anon-key"),
            "SERVICE_KEY": SecretEnv("service-role-key"),
            "POSTGREST_URL": "http://rest:3000",
            "AUTH_JWT_SECRET": SecretEnv("jwt-secret"),
            "DATABASE_URL": SecretEnv("storage-database-url"),
            "STORAGE_PUBLIC_URL": public_url,
            "REQUEST_ALLOW_X_FORWARDED_PATH": "true",
            "FILE_SIZE_LIMIT": "52428800",
            "STORAGE_BACKEND": "s3",
            "GLOBAL_S3_BUCKET": objects.bucket,
            "GLOBAL_S3_ENDPOINT": objects.endpoint,
            "GLOBAL_S3_PROTOCOL": pulumi.Output.from_input(objects.endpoint).apply(
                lambda url: "http" if url.startswith("http://") else "https"
            ),
            "GLOBAL_S3_FORCE_PATH_STYLE": env_bool(objects.force_path_style),
            "AWS_ACCESS_KEY_ID": SecretEnv("s3-access-key-id"),
            "AWS_SECRET_ACCESS_KEY": SecretEnv("s3-secret-access-key"),
            "TENANT_ID": STORAGE_TENANT_ID,
            "REGION": objects.region,
            "ENABLE_IMAGE_TRANSFORMATION": "true",
            "IMGPROXY_URL": "http://imgproxy:5001",
            "S3_PROTOCOL_ACCESS_KEY_ID": SecretEnv("s3-protocol-access-key-id"),
            "S3_PROTOCOL_ACCESS_KEY_SECRET": SecretEnv("s3-protocol-access-key-secret"),
        },
        resources=config.resources_for("storage", DEFAULT_RESOURCES["storage"]),
        run_as_user=1000,  # `node` in the node:alpine base image
        probe=Probe("http", port=5000, path="/status"),
        uses_database=True,
        dropped_env={"FILE_STORAGE_BACKEND_PATH": "objects live in the S3 backend (the ObjectStore)"},
    )


def imgproxy(config: SupabaseConfig) -> ServiceSpec:
    return ServiceSpec(
        name="imgproxy",
        image=versions.SUPABASE_IMAGES["imgproxy"],
        port=5001,
        env={
            "IMGPROXY_BIND": ":5001",
            "IMGPROXY_USE_ETAG": "true",
            "IMGPROXY_AUTO_WEBP": "true",
            "IMGPROXY_MAX_SRC_RESOLUTION": "16.8",
        },
        resources=config.resources_for("imgproxy", DEFAULT_RESOURCES["imgproxy"]),
        run_as_user=999,  # the image's `imgproxy` user
        probe=Probe("http", port=5001, path="/health"),
        dropped_env={
            "IMGPROXY_LOCAL_FILESYSTEM_ROOT": "with the S3 backend, Storage hands imgproxy "
            "presigned URLs; no local files to serve (and none of the container's to expose)"
        },
    )


def functions(config: SupabaseConfig, public_url: str) -> ServiceSpec:
    return ServiceSpec(
        name="functions",
        image=versions.SUPABASE_IMAGES["functions"],
        port=9000,
        env={
            "JWT_SECRET": SecretEnv("jwt-secret"),
            "SUPABASE_URL": GATEWAY_URL,
            "SUPABASE_PUBLIC_URL": public_url,
            "SUPABASE_ANON_KEY": SecretEnv("anon-key"),
            "SUPABASE_SERVICE_ROLE_KEY": SecretEnv("service-role-key"),
            "SUPABASE_DB_URL": SecretEnv("functions-database-url"),
            "VERIFY_JWT": env_bool(config.functions.verify_jwt),
            "DENO_DIR": "/tmp/deno",
        },
        resources=config.resources_for("functions", DEFAULT_RESOURCES["functions"]),
        run_as_user=1000,
        probe=Probe("tcp", port=9000),
        args=(
            "start",
            "--user-worker-request-idle-timeout",
            "150000",
            "--main-service",
            "/home/deno/functions/main",
        ),
        uses_database=True,
        added_env={
            "DENO_DIR": "the module cache goes to the writable /tmp instead of /root/.cache/deno, "
            "so the runtime works as a non-root user on a read-only root filesystem"
        },
        dropped_env={"SUPABASE_PUBLISHABLE_KEYS": KEY_TRANSLATION, "SUPABASE_SECRET_KEYS": KEY_TRANSLATION},
    )


def self_hosted_services(
    config: SupabaseConfig,
    database: Database,
    objects: ObjectStorage,
    trusted_proxy_cidrs: tuple[str, ...],
) -> list[ServiceSpec]:
    """Every service self-hosted mode deploys for this config, gateway first."""
    public_url = config.public_url
    specs = [
        kong(config, trusted_proxy_cidrs),
        auth(config, public_url),
        rest(config),
        realtime(config, database),
        storage(config, public_url, objects),
        imgproxy(config),
        meta(config, database),
        studio(config, database, public_url),
    ]
    if config.functions.enabled:
        specs.append(functions(config, public_url))
    return specs
