"""The real program with self-hosted Supabase on the dev stack: wiring to the Postgres VM and the store."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from components.postgres.component import NODE_POSTGRES_IP_SERVERNAME, SUPERUSER
from offline.program import ProgramError, ProgramRun, run_program

from ..cloud_init_files import written_files
from .deck import deck_errors

SELF_HOSTED: dict[str, Any] = {
    "supabase.mode": "self-hosted",
    "supabase.host": "supabase.dev.example.com",
    "supabase.siteUrl": "https://app.dev.example.com",
    "supabase.emailAutoconfirm": True,
    "objectStore.buckets": [{"name": "uploads"}, {"name": "supabase-storage"}],
}
ONLY_NON_SUPABASE_SECRETS = {
    "hcloudToken": "x" * 64,
    "postgresS3AccessKey": "access",
    "postgresS3SecretKey": "secret",
}


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    # No stand-ins: the run fails if anything still requires supabaseUrl, supabaseAnonKey, ...
    return run_program(
        "dev",
        overrides=SELF_HOSTED,
        secret_overrides=ONLY_NON_SUPABASE_SECRETS,
        stand_in_missing_secrets=False,
    )


def _in_namespace(run: ProgramRun, kind: str, namespace: str) -> list[dict[str, Any]]:
    return [
        r.plain_inputs
        for r in run.of_type(f"kubernetes:{kind}")
        if r.plain_inputs.get("metadata", {}).get("namespace") == namespace
    ]


def _cloud_files(run: ProgramRun) -> dict[str, str]:
    user_data = run.by_name("postgres-server").plain_inputs["userData"]
    return {path.rsplit("/", 1)[-1]: f["content"] for path, f in written_files(user_data).items()}


def test_supabase_services_run_in_their_namespace(run: ProgramRun) -> None:
    services = {s["metadata"]["name"] for s in _in_namespace(run, "core/v1:Service", "supabase")}
    assert {"kong", "auth", "rest", "realtime", "storage", "meta", "studio"} <= services


def test_the_gateway_config_the_program_renders_passes_deck(run: ProgramRun) -> None:
    """The kong.yml Kong loads (KONG_DECLARATIVE_CONFIG, from this Secret), through decK's validation."""
    (secret,) = [s for s in run.of_type("kubernetes:core/v1:Secret") if s.name == "supabase-kong"]
    config = secret.plain_inputs["stringData"]["kong.yml"]
    assert "key-auth" in config and "request-termination" in config  # the rendered file, not a stub
    assert deck_errors(config) == ""


def test_database_vm_renders_logical_wal_and_the_superuser(run: ProgramRun) -> None:
    files = _cloud_files(run)
    assert "wal_level = logical" in files["postgresql.conf"]
    assert f"SUPERUSER={SUPERUSER}" in files["postgres.env"]
    assert "EXTRA_PACKAGES=postgresql-17-wal2json" in files["postgres.env"]
    assert "SUPERUSER_VERIFIER='SCRAM-SHA-256$4096:" in files["roles.env"]


def test_managed_supabase_keeps_the_vm_defaults() -> None:
    files = _cloud_files(run_program("dev"))
    assert "wal_level = replica" in files["postgresql.conf"]
    assert "SUPERUSER=''" in files["postgres.env"]
    assert "SUPERUSER_VERIFIER=''" in files["roles.env"]


def test_bootstrap_job_logs_in_as_the_superuser_from_a_secret(run: ProgramRun) -> None:
    (job,) = _in_namespace(run, "batch/v1:Job", "supabase")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PGUSER"]["value"] == SUPERUSER
    assert "secretKeyRef" in env["PGPASSWORD"]["valueFrom"]


def test_storage_uses_the_object_store(run: ProgramRun) -> None:
    (storage,) = [
        d
        for d in _in_namespace(run, "apps/v1:Deployment", "supabase")
        if d["metadata"].get("name") == "storage"
    ]
    env = [e.get("value") for c in storage["spec"]["template"]["spec"]["containers"] for e in c["env"]]
    assert "http://seaweedfs-filer.object-store.svc.cluster.local:8333" in env
    assert "supabase-storage" in env
    grants = [
        p["metadata"]["name"]
        for p in _in_namespace(run, "networking.k8s.io/v1:NetworkPolicy", "object-store")
    ]
    assert "allow-s3-from-supabase" in grants


def test_app_gets_the_self_hosted_url(run: ProgramRun) -> None:
    (web_env,) = [
        s for s in _in_namespace(run, "core/v1:Secret", "app") if s["metadata"].get("name") == "web-env"
    ]
    assert web_env["stringData"]["SUPABASE_URL"] == "https://supabase.dev.example.com"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"postgres.mode": "managed"}, "postgres.mode"),
        ({"objectStore.mode": "none", "workloads": None}, "objectStore.mode"),
        ({"supabase.storageBucket": "elsewhere"}, "supabase.storageBucket"),
    ],
)
def test_self_hosted_supabase_refuses_what_it_cannot_run_on(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(ProgramError) as failure:
        run_program("dev", overrides={**SELF_HOSTED, **overrides})
    assert isinstance(failure.value.cause, ConfigError)
    assert key in str(failure.value.cause)
    assert "supabase" in str(failure.value.cause)


def test_database_certificate_names_what_postgres_meta_checks(run: ProgramRun) -> None:
    """node-postgres verifies a server reached by IP against `localhost` (tests/supabase/test_postgres_meta.py
    runs postgres-meta against a certificate with exactly these names)."""
    csr = run.by_name("postgres-server-csr")
    assert csr.plain_inputs["ipAddresses"] == ["10.0.1.20"]
    assert NODE_POSTGRES_IP_SERVERNAME in csr.plain_inputs["dnsNames"]
