-- What a plain PostgreSQL (15 or newer) lacks before the Supabase services can start against it:
-- roles, schemas, grants, helper functions, the realtime publication, wal_level=logical.
--
-- Run by the supabase-bootstrap Job as the database's admin (a superuser, `supabase_root` on the
-- VM), over TLS, in the application database that the VM's roles.sql created, with psql:
--   psql -v ON_ERROR_STOP=1 -f bootstrap.sql \
--        -v authenticator_verifier=... -v auth_admin_verifier=... -v storage_admin_verifier=... \
--        -v supabase_admin_verifier=... -v dashboard_verifier=... -v jwt_exp=3600
-- The *_verifier variables are SCRAM-SHA-256 verifiers computed by the Pulumi program, never
-- plaintext passwords, so a re-run stores byte-identical values and no password reaches a log.
--
-- Safe to re-run: every statement either creates what is missing or sets a value that is already
-- there. Objects the services migrate themselves (GoTrue's auth.* functions and tables, Storage's
-- storage.*, Realtime's realtime.* and its supabase_realtime_admin role) are created only when
-- absent and never replaced, so a re-run does not undo those migrations.
--
-- Modelled on supabase/postgres migrations/db/init-scripts (00000000000000-initial-schema.sql,
-- 00000000000001-auth-schema.sql, 00000000000002-storage-schema.sql) and supabase/supabase
-- docker/volumes/db/{roles,jwt,realtime}.sql, minus what needs extensions Debian does not ship
-- (pgjwt, pg_net, pgsodium, supautils).

\set ON_ERROR_STOP on

-- Refuse to run with a missing or plaintext password: psql would otherwise store a salted hash
-- of it, different on every run.
SELECT bool_and(verifier ~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$')
         AS verifiers_ok
  FROM (VALUES (:'authenticator_verifier'), (:'auth_admin_verifier'),
               (:'storage_admin_verifier'), (:'supabase_admin_verifier'),
               (:'dashboard_verifier')) AS given(verifier)
\gset
\if :verifiers_ok
\else
DO $$ BEGIN
  RAISE EXCEPTION 'every *_verifier variable must be a SCRAM-SHA-256 verifier, not a plaintext password';
END $$;
\endif

-- Roles ------------------------------------------------------------------------------------------

SELECT format('CREATE ROLE %I', wanted.name)
  FROM (VALUES ('anon'), ('authenticated'), ('service_role'), ('authenticator'), ('supabase_admin'),
               ('supabase_auth_admin'), ('supabase_storage_admin'), ('supabase_postgres'),
               ('supabase_read_only_user'), ('dashboard_user')) AS wanted(name)
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = wanted.name)
\gexec

-- The API roles PostgREST, Storage and Realtime switch into (INHERIT as upstream since 2023).
ALTER ROLE anon WITH NOLOGIN INHERIT;
ALTER ROLE authenticated WITH NOLOGIN INHERIT;
ALTER ROLE service_role WITH NOLOGIN INHERIT BYPASSRLS;
-- PostgREST logs in as authenticator and switches to the role named in the request's JWT.
ALTER ROLE authenticator WITH LOGIN NOINHERIT;
-- Realtime connects as supabase_admin and runs its tenant migrations (roles, publication, replication
-- slots): upstream makes it a superuser, and so do we.
ALTER ROLE supabase_admin WITH LOGIN SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS;
-- GoTrue owns the auth schema; CREATEROLE was revoked upstream in August 2026.
ALTER ROLE supabase_auth_admin WITH LOGIN NOINHERIT NOCREATEROLE;
ALTER ROLE supabase_storage_admin WITH LOGIN NOINHERIT CREATEROLE;
-- Upstream's `postgres`, the role people work as (Studio's table and SQL editors, postgres-meta,
-- Edge Functions' SUPABASE_DB_URL): demoted from superuser upstream (10000000000000_demote-postgres),
-- so with the service_role key `/pg/query` is not a shell on the database host. Named differently
-- because `postgres` is the VM's local superuser. CREATEROLE only from PostgreSQL 16 on: before
-- that it lets a role grant itself pg_execute_server_program and pg_read_server_files.
ALTER ROLE supabase_postgres WITH LOGIN NOSUPERUSER INHERIT CREATEDB NOREPLICATION BYPASSRLS;
SELECT format('ALTER ROLE supabase_postgres WITH %s',
              CASE WHEN current_setting('server_version_num')::int >= 160000
                   THEN 'CREATEROLE' ELSE 'NOCREATEROLE' END)
\gexec
-- Studio's read-only SQL runs as this role with the same password as supabase_postgres
-- (POSTGRES_USER_READ_ONLY shares POSTGRES_PASSWORD), as upstream's initial schema creates it.
ALTER ROLE supabase_read_only_user WITH LOGIN NOSUPERUSER INHERIT NOCREATEDB NOCREATEROLE BYPASSRLS;
-- Realtime's tenant schema grants to it; nobody logs in as it here.
ALTER ROLE dashboard_user WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;

SELECT format('ALTER ROLE %I PASSWORD %L', wanted.name, wanted.verifier)
  FROM (VALUES ('authenticator', :'authenticator_verifier'),
               ('supabase_auth_admin', :'auth_admin_verifier'),
               ('supabase_storage_admin', :'storage_admin_verifier'),
               ('supabase_admin', :'supabase_admin_verifier'),
               ('supabase_postgres', :'dashboard_verifier'),
               ('supabase_read_only_user', :'dashboard_verifier')) AS wanted(name, verifier)
  JOIN pg_authid ON pg_authid.rolname = wanted.name
 WHERE pg_authid.rolpassword IS DISTINCT FROM wanted.verifier
\gexec

GRANT anon, authenticated, service_role TO authenticator;
-- Storage switches into the API roles through authenticator, as on the platform.
GRANT authenticator TO supabase_storage_admin;
-- Studio switches into the API roles to preview what a user would see, and edits the tables the
-- app's migrations made (owned by the database owner, `app` on the VM).
GRANT anon, authenticated, service_role TO supabase_postgres;
SELECT format('GRANT %I TO supabase_postgres', owner.rolname)
  FROM pg_database JOIN pg_roles owner ON owner.oid = pg_database.datdba
 WHERE pg_database.datname = current_database() AND NOT owner.rolsuper
\gexec
-- Query Performance (pg_stat_statements of every role) and cancelling a runaway query.
GRANT pg_read_all_stats, pg_signal_backend TO supabase_postgres;
GRANT pg_read_all_data TO supabase_read_only_user;

ALTER ROLE anon SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';
ALTER ROLE authenticator SET statement_timeout = '8s';
ALTER ROLE authenticator SET lock_timeout = '8s';
ALTER ROLE supabase_admin SET search_path = public, extensions;
ALTER ROLE supabase_auth_admin SET search_path = auth;
ALTER ROLE supabase_auth_admin SET idle_in_transaction_session_timeout = 60000;
ALTER ROLE supabase_storage_admin SET search_path = storage;

-- The VM's roles.sql revokes everything on the database from PUBLIC: every role that logs in needs
-- CONNECT, and TEMPORARY as PUBLIC has it on a fresh database.
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO authenticator, supabase_auth_admin, '
              'supabase_storage_admin, supabase_admin, supabase_postgres, supabase_read_only_user',
              current_database())
\gexec
SELECT format('GRANT TEMPORARY ON DATABASE %I TO anon, authenticated, service_role', current_database())
\gexec
-- Storage's vector-store migration runs `CREATE SCHEMA IF NOT EXISTS storage_vectors`, and PostgreSQL
-- checks the privilege before it looks for the schema. GoTrue creates no schema (its tables go into
-- `auth`, which it owns), so it gets no CREATE on the database.
SELECT format('GRANT CREATE ON DATABASE %I TO supabase_storage_admin', current_database())
\gexec
SELECT format('REVOKE CREATE ON DATABASE %I FROM supabase_auth_admin', current_database())
\gexec

-- Schemas ----------------------------------------------------------------------------------------

CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_auth_admin;
CREATE SCHEMA IF NOT EXISTS storage AUTHORIZATION supabase_storage_admin;
CREATE SCHEMA IF NOT EXISTS graphql_public;
CREATE SCHEMA IF NOT EXISTS _realtime AUTHORIZATION supabase_admin;
-- Realtime's tenant migrations put their tables into `realtime` and expect it to exist.
CREATE SCHEMA IF NOT EXISTS realtime AUTHORIZATION supabase_admin;

GRANT USAGE ON SCHEMA public, extensions, graphql_public, auth, storage, realtime
  TO anon, authenticated, service_role, supabase_postgres;

-- Tables, sequences and functions created in public are reachable through the API; row-level
-- security decides which rows. ALTER DEFAULT PRIVILEGES covers only objects that the named role
-- creates, so it is set for every role that creates them: this admin (no FOR ROLE),
-- supabase_admin, supabase_postgres (Studio), the database owner (`app` on the VM) and the roles
-- that log in and may act as it (`dbadmin`, which runs the app's migrations).
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT ALL ON %s '
              'TO anon, authenticated, service_role, supabase_postgres', creator.name, kind.name)
  FROM (SELECT current_user::text
        UNION SELECT 'supabase_admin'
        UNION SELECT 'supabase_postgres'
        UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()
        UNION SELECT member.rolname
                FROM pg_auth_members JOIN pg_roles member ON member.oid = pg_auth_members.member
                JOIN pg_database ON pg_database.datdba = pg_auth_members.roleid
               WHERE pg_database.datname = current_database() AND member.rolcanlogin) AS creator(name),
       (VALUES ('TABLES'), ('SEQUENCES'), ('FUNCTIONS')) AS kind(name)
 ORDER BY 1
\gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE supabase_storage_admin IN SCHEMA storage GRANT ALL ON %s '
              'TO anon, authenticated, service_role, supabase_postgres', kind.name)
  FROM (VALUES ('TABLES'), ('SEQUENCES'), ('FUNCTIONS')) AS kind(name)
\gexec
-- The app's migrations write policies that call auth.uid() and use the extensions' functions, as
-- they do on the platform as `postgres`: the database owner (and the roles that act as it) may.
SELECT format('GRANT USAGE ON SCHEMA auth, extensions, storage, realtime, graphql_public TO %I',
              owner.rolname)
  FROM pg_database JOIN pg_roles owner ON owner.oid = pg_database.datdba
 WHERE pg_database.datname = current_database() AND NOT owner.rolsuper
\gexec
-- Studio's table editor shows GoTrue's tables, as upstream grants them to `postgres`.
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE supabase_auth_admin IN SCHEMA auth GRANT ALL ON %s '
              'TO supabase_postgres', kind.name)
  FROM (VALUES ('TABLES'), ('SEQUENCES'), ('FUNCTIONS')) AS kind(name)
\gexec

-- Extensions that Debian's postgresql-contrib provides (Storage's migrations call
-- extensions.uuid_generate_v4()).
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
-- Studio's Query Performance and advisors read it; the VM preloads the library.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA extensions;

-- Auth helpers -----------------------------------------------------------------------------------
-- Row-level security policies call these from the first day, before GoTrue has started. They are
-- created as supabase_auth_admin, so GoTrue's migrations may replace them, and only when absent, so
-- a re-run never overwrites GoTrue's version (supabase-community/supabase-kubernetes#210).

SET ROLE supabase_auth_admin;

SELECT def
  FROM (VALUES
    ('uid', $sql$
      CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $fn$
        SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid
      $fn$ $sql$),
    ('role', $sql$
      CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $fn$
        SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      $fn$ $sql$),
    ('email', $sql$
      CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $fn$
        SELECT coalesce(nullif(current_setting('request.jwt.claim.email', true), ''),
                        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
      $fn$ $sql$),
    ('jwt', $sql$
      CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $fn$
        SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                        nullif(current_setting('request.jwt.claims', true), ''))::jsonb
      $fn$ $sql$)
  ) AS helper(name, def)
 WHERE NOT EXISTS (
   SELECT FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pg_proc.pronamespace
    WHERE pg_namespace.nspname = 'auth' AND pg_proc.proname = helper.name)
\gexec

RESET ROLE;

-- Realtime ---------------------------------------------------------------------------------------
-- Empty publication; add tables with `ALTER PUBLICATION supabase_realtime ADD TABLE ...`.
SELECT 'CREATE PUBLICATION supabase_realtime'
 WHERE NOT EXISTS (SELECT FROM pg_publication WHERE pubname = 'supabase_realtime')
\gexec

-- postgres_changes needs logical decoding. The setting needs a restart, so it is written to
-- postgresql.auto.conf once and reported until the server has been restarted.
SELECT 'ALTER SYSTEM SET wal_level = logical'
 WHERE current_setting('wal_level') <> 'logical'
   AND NOT EXISTS (SELECT FROM pg_file_settings
                    WHERE name = 'wal_level' AND setting = 'logical'
                      AND sourcefile LIKE '%postgresql.auto.conf')
\gexec

DO $$ BEGIN
  IF current_setting('wal_level') <> 'logical' THEN
    RAISE WARNING 'wal_level is %; restart PostgreSQL so Realtime postgres_changes works (wal_level=logical)',
      current_setting('wal_level');
  END IF;
END $$;

-- PostgREST --------------------------------------------------------------------------------------
-- Reload PostgREST's schema cache after DDL that changes what the API exposes, as the platform's
-- pgrst_ddl_watch and pgrst_drop_watch triggers do: temporary objects, indexes and grants do not
-- reload it (a workload that uses temp tables would otherwise keep PostgREST reloading).

CREATE OR REPLACE FUNCTION extensions.pgrst_ddl_watch() RETURNS event_trigger
  LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (
    SELECT FROM pg_event_trigger_ddl_commands() AS command
     WHERE command.schema_name IS DISTINCT FROM 'pg_temp'
       AND command.command_tag IN (
         'CREATE SCHEMA', 'ALTER SCHEMA', 'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO',
         'ALTER TABLE', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'CREATE VIEW', 'ALTER VIEW',
         'CREATE MATERIALIZED VIEW', 'ALTER MATERIALIZED VIEW', 'CREATE FUNCTION', 'ALTER FUNCTION',
         'CREATE TRIGGER', 'CREATE TYPE', 'ALTER TYPE', 'CREATE RULE', 'COMMENT'))
  THEN
    NOTIFY pgrst, 'reload schema';
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION extensions.pgrst_drop_watch() RETURNS event_trigger
  LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (
    SELECT FROM pg_event_trigger_dropped_objects() AS dropped
     WHERE NOT dropped.is_temporary
       AND dropped.object_type IN ('schema', 'table', 'foreign table', 'view', 'materialized view',
                                   'function', 'trigger', 'type', 'rule'))
  THEN
    NOTIFY pgrst, 'reload schema';
  END IF;
END
$fn$;

-- Earlier versions of this file pointed both triggers at one function: re-point them.
SELECT format('DROP EVENT TRIGGER %I', evtname)
  FROM pg_event_trigger
 WHERE (evtname, evtfoid) IN (('pgrst_ddl_watch', 'extensions.pgrst_drop_watch'::regproc),
                              ('pgrst_drop_watch', 'extensions.pgrst_ddl_watch'::regproc))
\gexec

SELECT 'CREATE EVENT TRIGGER pgrst_ddl_watch ON ddl_command_end EXECUTE FUNCTION extensions.pgrst_ddl_watch()'
 WHERE NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'pgrst_ddl_watch')
\gexec

SELECT 'CREATE EVENT TRIGGER pgrst_drop_watch ON sql_drop EXECUTE FUNCTION extensions.pgrst_drop_watch()'
 WHERE NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'pgrst_drop_watch')
\gexec

-- GraphQL ----------------------------------------------------------------------------------------
-- The gateway sends /graphql/v1 to PostgREST's /rpc/graphql in schema graphql_public. pg_graphql,
-- which answers there on the platform, has no Debian or PGDG package; until it is installed this
-- function answers every query with a GraphQL error saying so, instead of PostgREST's 404. Created
-- only when absent, so pg_graphql's own function is never replaced.
SELECT $sql$
  CREATE FUNCTION graphql_public.graphql("operationName" text DEFAULT NULL, query text DEFAULT NULL,
                                         variables jsonb DEFAULT NULL, extensions jsonb DEFAULT NULL)
    RETURNS jsonb LANGUAGE sql STABLE AS $fn$
      SELECT jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('message',
        'GraphQL is not available: the pg_graphql extension is not installed on this database')))
    $fn$ $sql$
 WHERE to_regprocedure('graphql_public.graphql(text,text,jsonb,jsonb)') IS NULL
\gexec
GRANT EXECUTE ON FUNCTION graphql_public.graphql(text, text, jsonb, jsonb)
  TO anon, authenticated, service_role;

-- Access token lifetime, as docker/volumes/db/jwt.sql sets it.
SELECT format('ALTER DATABASE %I SET "app.settings.jwt_exp" TO %L', current_database(), :'jwt_exp')
\gexec
