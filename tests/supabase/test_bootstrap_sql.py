"""The bootstrap SQL against a real PostgreSQL: idempotent, enough for Supabase's auth model, logins work."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from components.postgres.scram import scram_sha256_verifier
from components.supabase.bootstrap import BOOTSTRAP_SQL, psql_command
from tests.pg_fixture import PostgresServer

pytestmark = pytest.mark.slow

PASSWORDS = {
    "authenticator": "rest-password-1",
    "supabase_auth_admin": "auth-password-2",
    "supabase_storage_admin": "storage-password-3",
    "supabase_admin": "realtime-password-4",
}
VARIABLE_FOR_ROLE = {
    "authenticator": "authenticator_verifier",
    "supabase_auth_admin": "auth_admin_verifier",
    "supabase_storage_admin": "storage_admin_verifier",
    "supabase_admin": "supabase_admin_verifier",
}


def bootstrap_variables(passwords: dict[str, str] = PASSWORDS) -> dict[str, str]:
    variables = {
        VARIABLE_FOR_ROLE[role]: scram_sha256_verifier(password, os.urandom(16))
        for role, password in passwords.items()
    }
    return {**variables, "jwt_exp": "3600"}


def run_bootstrap(server: PostgresServer, variables: dict[str, str]) -> str:
    return server.psql(file=BOOTSTRAP_SQL, variables=variables).stderr


# Catalog state the bootstrap touches, as text rows; `oid`-free so two snapshots compare by value.
SNAPSHOT_QUERIES = {
    "roles": """SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
                       rolreplication, rolbypassrls, coalesce(rolpassword, '')
                  FROM pg_authid WHERE rolname !~ '^pg_' ORDER BY 1""",
    "memberships": """SELECT r.rolname, m.rolname, g.rolname, am.admin_option FROM pg_auth_members am
                        JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
                        JOIN pg_roles g ON g.oid = am.grantor ORDER BY 1, 2, 3""",
    "schemas": """SELECT nspname, pg_get_userbyid(nspowner), coalesce(nspacl::text, '')
                    FROM pg_namespace ORDER BY 1""",
    "functions": """SELECT n.nspname, p.proname, pg_get_userbyid(p.proowner), p.prosrc,
                           coalesce(p.proacl::text, '')
                      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 4""",
    "extensions": """SELECT extname, extnamespace::regnamespace, extversion FROM pg_extension ORDER BY 1""",
    "publications": "SELECT pubname, puballtables FROM pg_publication ORDER BY 1",
    "event_triggers": """SELECT evtname, evtevent, evtfoid::regproc, evtenabled
                          FROM pg_event_trigger ORDER BY 1""",
    "default_acls": """SELECT pg_get_userbyid(defaclrole), coalesce(defaclnamespace::regnamespace::text, ''),
                              defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY 1, 2, 3""",
    "settings": """SELECT coalesce(d.datname, ''), coalesce(r.rolname, ''), array_to_string(setconfig, ',')
                     FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase
                     LEFT JOIN pg_roles r ON r.oid = s.setrole ORDER BY 1, 2""",
    "databases": "SELECT datname, coalesce(datacl::text, '') FROM pg_database ORDER BY 1",
    "config_files": """SELECT name, setting FROM pg_file_settings
                        WHERE sourcefile LIKE '%postgresql.auto.conf' ORDER BY 1""",
}


def catalog_snapshot(server: PostgresServer) -> dict[str, list[list[str]]]:
    return {name: server.query(sql) for name, sql in SNAPSHOT_QUERIES.items()}


def test_second_run_succeeds_and_changes_nothing(fresh_postgres_server: PostgresServer) -> None:
    server = fresh_postgres_server
    variables = bootstrap_variables()
    empty = catalog_snapshot(server)

    run_bootstrap(server, variables)
    after_first = catalog_snapshot(server)
    run_bootstrap(server, variables)
    after_second = catalog_snapshot(server)

    changed_by_first = sorted(name for name in empty if empty[name] != after_first[name])
    assert changed_by_first == sorted(SNAPSHOT_QUERIES), "the snapshot must see what the bootstrap does"
    assert after_second == after_first


def test_new_password_is_applied_on_rerun(fresh_postgres_server: PostgresServer) -> None:
    server = fresh_postgres_server
    run_bootstrap(server, bootstrap_variables())
    rotated = {**PASSWORDS, "authenticator": "rotated-password"}
    run_bootstrap(server, bootstrap_variables(rotated))

    assert server.query("SELECT current_user", user="authenticator", password="rotated-password") == [
        ["authenticator"]
    ]
    refused = server.psql("SELECT 1", user="authenticator", password=PASSWORDS["authenticator"], check=False)
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr


def test_plaintext_password_is_refused(fresh_postgres_server: PostgresServer) -> None:
    variables = {**bootstrap_variables(), "authenticator_verifier": "hunter2hunter2"}
    result = fresh_postgres_server.psql(file=BOOTSTRAP_SQL, variables=variables, check=False)

    assert result.returncode != 0
    assert "SCRAM-SHA-256 verifier, not a plaintext password" in result.stderr
    created = fresh_postgres_server.query("SELECT count(*) FROM pg_roles WHERE rolname = 'authenticator'")
    assert created == [["0"]]


def test_wal_level_becomes_logical_after_restart(fresh_postgres_server: PostgresServer) -> None:
    server = fresh_postgres_server
    assert server.query("SHOW wal_level") == [["replica"]]

    warnings = run_bootstrap(server, bootstrap_variables())
    assert "restart PostgreSQL so Realtime postgres_changes works" in warnings

    server.restart()
    assert server.query("SHOW wal_level") == [["logical"]]
    assert "wal_level" not in run_bootstrap(server, bootstrap_variables())


# With the bootstrap applied once (module-scoped server) ----------------------------------------


@pytest.fixture(scope="module")
def bootstrapped(postgres_server: PostgresServer) -> PostgresServer:
    run_bootstrap(postgres_server, bootstrap_variables())
    return postgres_server


@pytest.mark.parametrize("role", sorted(PASSWORDS))
def test_service_roles_log_in_with_their_password(bootstrapped: PostgresServer, role: str) -> None:
    assert bootstrapped.query("SELECT current_user", user=role, password=PASSWORDS[role]) == [[role]]
    wrong = bootstrapped.psql("SELECT 1", user=role, password="not-the-password", check=False)
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr


ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())

NOTES_TABLE = f"""
CREATE TABLE public.notes (
  id serial PRIMARY KEY,
  owner uuid,
  is_public boolean NOT NULL DEFAULT false,
  body text NOT NULL
);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "public notes are readable by everyone" ON public.notes
  FOR SELECT TO anon, authenticated USING (is_public);
CREATE POLICY "owners read their notes" ON public.notes
  FOR SELECT TO authenticated USING (auth.uid() = owner);
INSERT INTO public.notes (owner, is_public, body) VALUES
  ('{ALICE}', true, 'alice public'), ('{ALICE}', false, 'alice private'),
  ('{BOB}', false, 'bob private'), (NULL, true, 'announcement');
"""


@pytest.fixture(scope="module")
def notes(bootstrapped: PostgresServer) -> PostgresServer:
    """A table made the way app migrations make one (as the admin), with Supabase-style policies."""
    bootstrapped.psql(NOTES_TABLE)
    return bootstrapped


def as_postgrest(server: PostgresServer, claims: dict[str, str], sql: str) -> list[str]:
    """Query as PostgREST does: log in as authenticator, switch to the JWT's role, expose the claims."""
    statement = f"""
        BEGIN;
        SELECT set_config('role', '{claims["role"]}', true),
               set_config('request.jwt.claims', '{json.dumps(claims)}', true) \\g /dev/null
        {sql};
        COMMIT;"""
    output = server.psql(statement, user="authenticator", password=PASSWORDS["authenticator"]).stdout
    return sorted(line for line in output.splitlines() if line)


def test_anon_sees_only_public_rows(notes: PostgresServer) -> None:
    rows = as_postgrest(notes, {"role": "anon"}, "SELECT body FROM public.notes")
    assert rows == ["alice public", "announcement"]


def test_authenticated_user_sees_own_and_public_rows_only(notes: PostgresServer) -> None:
    alice = as_postgrest(notes, {"role": "authenticated", "sub": ALICE}, "SELECT body FROM public.notes")
    bob = as_postgrest(notes, {"role": "authenticated", "sub": BOB}, "SELECT body FROM public.notes")
    assert alice == ["alice private", "alice public", "announcement"]
    assert bob == ["alice public", "announcement", "bob private"]


def test_service_role_sees_everything(notes: PostgresServer) -> None:
    rows = as_postgrest(notes, {"role": "service_role"}, "SELECT body FROM public.notes")
    assert rows == ["alice private", "alice public", "announcement", "bob private"]


def test_auth_helpers_read_the_jwt_claims(notes: PostgresServer) -> None:
    claims = {"role": "authenticated", "sub": ALICE, "email": "alice@example.com"}
    rows = as_postgrest(notes, claims, "SELECT auth.uid()::text || ' ' || auth.role() || ' ' || auth.email()")
    assert rows == [f"{ALICE} authenticated alice@example.com"]


def test_authenticator_cannot_become_an_admin(notes: PostgresServer) -> None:
    """A forged `role` claim cannot lift PostgREST's connection above the three API roles."""
    result = notes.psql(
        "SET ROLE supabase_admin", user="authenticator", password=PASSWORDS["authenticator"], check=False
    )
    assert result.returncode != 0 and "permission denied to set role" in result.stderr
    allowed = notes.psql("SET ROLE service_role", user="authenticator", password=PASSWORDS["authenticator"])
    assert allowed.returncode == 0


def test_rerun_keeps_what_gotrue_migrated(notes: PostgresServer) -> None:
    """GoTrue replaces auth.uid() in its migrations; the bootstrap must not put its own version back."""
    notes.psql("""
        SET ROLE supabase_auth_admin;
        CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
          $$ SELECT (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid $$;
        COMMENT ON FUNCTION auth.uid() IS 'gotrue migration 20240612123726';""")
    before = notes.query("SELECT prosrc, obj_description(oid) FROM pg_proc WHERE proname = 'uid'")

    run_bootstrap(notes, bootstrap_variables())

    after = notes.query("SELECT prosrc, obj_description(oid) FROM pg_proc WHERE proname = 'uid'")
    assert after == before
    assert after[0][1] == "gotrue migration 20240612123726"


def test_job_command_passes_verifiers_through_the_shell_intact(fresh_postgres_server: PostgresServer) -> None:
    """The Job's `sh -c` line hands SCRAM verifiers (full of `$`) to psql unchanged; logins then work."""
    server = fresh_postgres_server
    command = psql_command()
    command[-1] = command[-1].replace("/etc/supabase/bootstrap/bootstrap.sql", str(BOOTSTRAP_SQL))
    variables = bootstrap_variables()
    env = {
        "PATH": f"{server.bin_dir}:/usr/bin:/bin",
        "PGHOST": str(server.socket_dir),
        "PGPORT": str(server.port),
        "PGUSER": "postgres",
        "PGDATABASE": "postgres",
        **{name.upper(): value for name, value in variables.items()},
    }
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    stored = server.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'authenticator'")
    assert stored == [[variables["authenticator_verifier"]]]
    assert server.query("SELECT current_user", user="authenticator", password=PASSWORDS["authenticator"]) == [
        ["authenticator"]
    ]
