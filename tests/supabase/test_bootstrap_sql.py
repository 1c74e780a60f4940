"""The bootstrap SQL on the database the VM makes, run the way the bootstrap Job runs it.

Every test here starts from the VM's roles.sql (database `app` owned by `app`, PUBLIC without
CONNECT, the superuser `supabase_root`) and runs the Job's psql command line with the Job's libpq
settings: as `supabase_root`, over TLS verified against the CA, into `app` (tests/supabase/vm_database.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import jwt
import pytest
import yaml

from components.postgres.component import SUPERUSER
from components.supabase.bootstrap import BOOTSTRAP_SQL
from components.supabase.credentials import VERIFIER_VARIABLES
from components.supabase.kong import render_kong_config
from components.supabase.services import auth
from components.supabase.spec import READ_ONLY_DB_ROLE
from tests.pg_fixture import PostgresServer
from tests.postgres.pg_host import ADMIN_PASSWORD, SUPERUSER_PASSWORD
from tests.supabase.settings import FULL_CONFIG
from tests.supabase.test_kong import SETTINGS
from tests.supabase.vm_database import PASSWORDS, VmDatabase, bootstrap_variables

pytestmark = pytest.mark.slow

REALTIME = yaml.safe_load((Path(__file__).parent / "data" / "realtime_tenant_schema.yaml").read_text())

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
}


def catalog_snapshot(database: VmDatabase) -> dict[str, list[list[str]]]:
    return {name: database.query(sql) for name, sql in SNAPSHOT_QUERIES.items()}


def test_second_run_succeeds_and_changes_nothing(fresh_vm_database: VmDatabase) -> None:
    database = fresh_vm_database
    variables = bootstrap_variables()
    before = catalog_snapshot(database)

    database.bootstrap(variables)
    after_first = catalog_snapshot(database)
    database.bootstrap(variables)
    after_second = catalog_snapshot(database)

    changed_by_first = sorted(name for name in before if before[name] != after_first[name])
    assert changed_by_first == sorted(SNAPSHOT_QUERIES), "the snapshot must see what the bootstrap does"
    assert after_second == after_first


def test_new_password_is_applied_on_rerun(fresh_vm_database: VmDatabase) -> None:
    database = fresh_vm_database
    database.bootstrap()
    database.bootstrap(bootstrap_variables({**PASSWORDS, "authenticator": "rotated-password"}))

    assert database.query("SELECT current_user", "authenticator", "rotated-password") == [["authenticator"]]
    refused = database.run("authenticator", PASSWORDS["authenticator"], "SELECT 1", check=False)
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr


def test_plaintext_password_is_refused(fresh_vm_database: VmDatabase) -> None:
    variables = {**bootstrap_variables(), "authenticator_verifier": "hunter2hunter2"}
    result = fresh_vm_database.bootstrap(variables, check=False)

    assert result.returncode != 0
    assert "SCRAM-SHA-256 verifier, not a plaintext password" in result.stderr
    created = fresh_vm_database.query("SELECT count(*) FROM pg_roles WHERE rolname = 'authenticator'")
    assert created == [["0"]]


def test_wal_level_becomes_logical_after_restart(fresh_postgres_server: PostgresServer) -> None:
    """On a server still at wal_level=replica (a plain server, not the VM, which renders logical)."""
    server = fresh_postgres_server
    assert server.query("SHOW wal_level") == [["replica"]]

    warnings = server.psql(file=BOOTSTRAP_SQL, variables=bootstrap_variables()).stderr
    assert "restart PostgreSQL so Realtime postgres_changes works" in warnings

    server.restart()
    assert server.query("SHOW wal_level") == [["logical"]]
    assert "wal_level" not in server.psql(file=BOOTSTRAP_SQL, variables=bootstrap_variables()).stderr


# With the bootstrap applied once (module-scoped database) ---------------------------------------

LOGINS = {**PASSWORDS, READ_ONLY_DB_ROLE: PASSWORDS["supabase_postgres"]}
"""Every role a service logs in as; the read-only role shares supabase_postgres' password."""


def test_every_login_role_of_the_bootstrap_has_a_password() -> None:
    assert set(PASSWORDS) == set(VERIFIER_VARIABLES)


@pytest.mark.parametrize("role", sorted(LOGINS))
def test_service_roles_log_in_to_the_app_database_over_tls(vm_database: VmDatabase, role: str) -> None:
    """roles.sql revokes CONNECT on `app` from PUBLIC: each service role needs its own grant."""
    rows = vm_database.query(
        "SELECT current_user, current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        role,
        LOGINS[role],
    )
    assert rows == [[role, "app", "t"]]
    wrong = vm_database.run(role, "not-the-password", "SELECT 1", check=False)
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
def notes(vm_database: VmDatabase) -> VmDatabase:
    """A table made the way the app's migrations make one: by `dbadmin`, acting as the owner `app`."""
    vm_database.run("dbadmin", ADMIN_PASSWORD, "SET ROLE app;\n" + NOTES_TABLE)
    return vm_database


def test_the_migrated_table_belongs_to_the_app(notes: VmDatabase) -> None:
    assert notes.query("SELECT tableowner FROM pg_tables WHERE tablename = 'notes'") == [["app"]]


def test_anon_sees_only_public_rows(notes: VmDatabase) -> None:
    rows = notes.as_postgrest({"role": "anon"}, "SELECT body FROM public.notes")
    assert rows == ["alice public", "announcement"]


def test_authenticated_user_sees_own_and_public_rows_only(notes: VmDatabase) -> None:
    alice = notes.as_postgrest({"role": "authenticated", "sub": ALICE}, "SELECT body FROM public.notes")
    bob = notes.as_postgrest({"role": "authenticated", "sub": BOB}, "SELECT body FROM public.notes")
    assert alice == ["alice private", "alice public", "announcement"]
    assert bob == ["alice public", "announcement", "bob private"]


def test_service_role_sees_everything(notes: VmDatabase) -> None:
    rows = notes.as_postgrest({"role": "service_role"}, "SELECT body FROM public.notes")
    assert rows == ["alice private", "alice public", "announcement", "bob private"]


@pytest.mark.parametrize("creator", ["dbadmin", "supabase_postgres"])
def test_tables_created_by_migrations_or_studio_reach_the_api(vm_database: VmDatabase, creator: str) -> None:
    """Created by the migration role itself or in Studio's table editor: the API roles get grants
    (then RLS decides), as the platform's default privileges give them."""
    table = f"public.made_by_{creator}"
    password = {"dbadmin": ADMIN_PASSWORD, **PASSWORDS}[creator]
    vm_database.run(creator, password, f"CREATE TABLE {table} (id int); INSERT INTO {table} VALUES (1)")
    assert vm_database.as_postgrest({"role": "anon"}, f"SELECT id FROM {table}") == ["1"]


def test_auth_helpers_read_the_jwt_claims(notes: VmDatabase) -> None:
    claims = {"role": "authenticated", "sub": ALICE, "email": "alice@example.com"}
    rows = notes.as_postgrest(claims, "SELECT auth.uid()::text || ' ' || auth.role() || ' ' || auth.email()")
    assert rows == [f"{ALICE} authenticated alice@example.com"]


def test_authenticator_cannot_become_an_admin(vm_database: VmDatabase) -> None:
    """A forged `role` claim cannot lift PostgREST's connection above the three API roles."""
    for admin in ("supabase_admin", "supabase_postgres", SUPERUSER):
        result = vm_database.run(
            "authenticator", PASSWORDS["authenticator"], f"SET ROLE {admin}", check=False
        )
        assert result.returncode != 0 and "permission denied to set role" in result.stderr
    vm_database.run("authenticator", PASSWORDS["authenticator"], "SET ROLE service_role")


# The role Studio, postgres-meta and Edge Functions use ------------------------------------------

ESCAPES = {
    "a shell on the database host": "COPY (SELECT 1) TO PROGRAM 'true'",
    "reading the host's files": "SELECT pg_read_file('/etc/hostname')",
    "granting itself the server-program role": "GRANT pg_execute_server_program TO supabase_postgres",
    "granting itself the file-reading role": "GRANT pg_read_server_files TO supabase_postgres",
    "becoming the superuser": f"SET ROLE {SUPERUSER}",
    "becoming supabase_admin": "SET ROLE supabase_admin",
    "making itself a superuser": "ALTER ROLE supabase_postgres SUPERUSER",
}


def test_dashboard_role_is_not_a_superuser(vm_database: VmDatabase) -> None:
    rows = vm_database.query(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
        "WHERE rolname IN ('supabase_postgres', 'supabase_read_only_user') ORDER BY 1"
    )
    assert rows == [["supabase_postgres", "f", "t"], ["supabase_read_only_user", "f", "t"]]


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_dashboard_role_cannot_escape_the_database(vm_database: VmDatabase, escape: str) -> None:
    """With the service_role key, `/pg/query` runs SQL as this role: none of this may work."""
    result = vm_database.run(
        "supabase_postgres", PASSWORDS["supabase_postgres"], ESCAPES[escape], check=False
    )
    assert result.returncode != 0
    refusals = ("permission denied", "must be superuser", "must have admin option")
    assert any(refusal in result.stderr for refusal in refusals), result.stderr


def test_dashboard_role_works_on_the_app_and_auth_schemas(notes: VmDatabase) -> None:
    """What Studio's editors do as it: read the app's tables (RLS bypassed), change them, impersonate."""
    sql = """SELECT count(*) FROM public.notes;
             ALTER TABLE public.notes ADD COLUMN IF NOT EXISTS tag text;
             SET ROLE anon; SELECT count(*) FROM public.notes;"""
    rows = notes.query(sql, "supabase_postgres")
    assert rows == [["4"], ["2"]]


def test_read_only_role_reads_but_cannot_write(notes: VmDatabase) -> None:
    password = PASSWORDS["supabase_postgres"]
    assert notes.query("SELECT count(*) FROM public.notes", READ_ONLY_DB_ROLE, password) == [["4"]]
    write = notes.run(READ_ONLY_DB_ROLE, password, "DELETE FROM public.notes", check=False)
    assert write.returncode != 0 and "permission denied for table notes" in write.stderr


def test_query_statistics_are_there_for_studio(vm_database: VmDatabase) -> None:
    rows = vm_database.query(
        "SELECT count(*) > 0 FROM extensions.pg_stat_statements",
        "supabase_postgres",
        PASSWORDS["supabase_postgres"],
    )
    assert rows == [["t"]]


# What the other services find ------------------------------------------------------------------


def test_realtime_tenant_schema_finds_its_roles_and_schema(vm_database: VmDatabase) -> None:
    grantees = ",".join(f"'{role}'" for role in REALTIME["grantees"])
    existing = vm_database.query(f"SELECT rolname FROM pg_roles WHERE rolname IN ({grantees}) ORDER BY 1")
    assert [row[0] for row in existing] == sorted(REALTIME["grantees"])
    schemas = ",".join(f"'{schema}'" for schema in REALTIME["schemas"])
    owners = vm_database.query(
        f"SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ({schemas})"
    )
    assert owners == [[schema, "supabase_admin"] for schema in REALTIME["schemas"]]


def test_auth_admin_owns_its_schema_without_creating_schemas(vm_database: VmDatabase) -> None:
    """GoTrue's migrations create their tables in `auth` (no CREATE SCHEMA): least privilege."""
    rows = vm_database.query(
        "SELECT has_database_privilege('supabase_auth_admin', current_database(), 'CREATE'), "
        "pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'auth'"
    )
    assert rows == [["f", "supabase_auth_admin"]]


def test_graphql_route_reaches_a_function_that_answers(vm_database: VmDatabase) -> None:
    """Kong sends /graphql/v1 to PostgREST's /rpc/graphql with Content-Profile graphql_public."""
    kong = yaml.safe_load(render_kong_config(SETTINGS))
    (graphql,) = [service for service in kong["services"] if service["name"] == "graphql-v1"]
    assert graphql["url"].endswith("/rpc/graphql")
    answer = vm_database.as_postgrest(
        {"role": "anon"}, "SELECT graphql_public.graphql(query => '{ __typename }')::text"
    )
    assert answer == [
        '{"errors": [{"message": "GraphQL is not available: the pg_graphql extension is not installed '
        'on this database"}]}'
    ]


def test_schema_reload_is_not_triggered_by_temporary_tables(vm_database: VmDatabase) -> None:
    def notified(ddl: str) -> bool:
        result = vm_database.run(SUPERUSER, SUPERUSER_PASSWORD, f"LISTEN pgrst;\n{ddl};\nSELECT 1;")
        return (
            'Asynchronous notification "pgrst" with payload "reload schema"' in result.stdout + result.stderr
        )

    assert not notified("CREATE TEMP TABLE scratch (x int)")
    assert not notified("CREATE TEMP TABLE scratch2 (x int); DROP TABLE scratch2")
    assert notified("CREATE TABLE public.reloaded (x int)")
    assert notified("DROP TABLE public.reloaded")


def test_rerun_keeps_what_gotrue_migrated(fresh_vm_database: VmDatabase) -> None:
    """GoTrue replaces auth.uid() in its migrations; the bootstrap must not put its own version back."""
    database = fresh_vm_database
    database.bootstrap()
    database.run(
        "supabase_auth_admin",
        PASSWORDS["supabase_auth_admin"],
        """CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
             $$ SELECT (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid $$;
           COMMENT ON FUNCTION auth.uid() IS 'gotrue migration 20220224000811_update_auth_functions';""",
    )
    before = database.query("SELECT prosrc, obj_description(oid) FROM pg_proc WHERE proname = 'uid'")

    database.bootstrap()

    after = database.query("SELECT prosrc, obj_description(oid) FROM pg_proc WHERE proname = 'uid'")
    assert after == before
    assert after[0][1] == "gotrue migration 20220224000811_update_auth_functions"


def test_job_passes_verifiers_through_the_shell_intact(fresh_vm_database: VmDatabase) -> None:
    """The Job's `sh -c` line hands SCRAM verifiers (full of `$`) to psql unchanged."""
    variables = bootstrap_variables()
    fresh_vm_database.bootstrap(variables)
    stored = fresh_vm_database.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'authenticator'")
    assert stored == [[variables["authenticator_verifier"]]]


def test_a_gotrue_access_token_passes_rls_as_postgrest_passes_it(notes: VmDatabase) -> None:
    """GoTrue could not be built here (the module proxy refuses github.com/supabase/auth); its access
    token is built as GoTrue v2.196.0 shapes it (internal/tokens/service.go, AccessTokenClaims) from the
    auth Deployment's settings, signed and verified over the secret's raw bytes as GoTrue and PostgREST
    do, and its claims reach the helpers the way PostgREST v14 hands them over."""
    env = auth(FULL_CONFIG, FULL_CONFIG.public_url).env
    secret = "a-jwt-secret-of-at-least-thirty-two-characters"
    now = 1_700_000_000
    token = jwt.encode(
        {
            "iss": env["GOTRUE_JWT_ISSUER"],
            "sub": ALICE,
            "aud": env["GOTRUE_JWT_AUD"],
            "exp": now + int(str(env["GOTRUE_JWT_EXP"])),
            "iat": now,
            "email": "alice@example.com",
            "phone": "",
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {"email_verified": True},
            "role": env["GOTRUE_JWT_DEFAULT_GROUP_NAME"],
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
        },
        secret,
        algorithm="HS256",
    )
    claims = jwt.decode(
        token, secret, algorithms=["HS256"], audience="authenticated", options={"verify_exp": False}
    )
    rows = notes.as_postgrest(
        claims,
        "SELECT auth.uid()::text || ' ' || auth.role() || ' ' || (auth.jwt() ->> 'aal'); "
        "SELECT body FROM public.notes",
    )
    assert rows == sorted([f"{ALICE} authenticated aal1", "alice private", "alice public", "announcement"])
