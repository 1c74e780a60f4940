-- What a plain PostgreSQL (15 or newer) lacks before the Supabase services can start against it:
-- roles, schemas, grants, helper functions, the realtime publication, wal_level=logical.
--
-- Run by the supabase-bootstrap Job as the database's admin (a superuser), with psql:
--   psql -v ON_ERROR_STOP=1 -f bootstrap.sql \
--        -v authenticator_verifier=... -v auth_admin_verifier=... \
--        -v storage_admin_verifier=... -v supabase_admin_verifier=... -v jwt_exp=3600
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
               (:'storage_admin_verifier'), (:'supabase_admin_verifier')) AS given(verifier)
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
               ('supabase_auth_admin'), ('supabase_storage_admin')) AS wanted(name)
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

SELECT format('ALTER ROLE %I PASSWORD %L', wanted.name, wanted.verifier)
  FROM (VALUES ('authenticator', :'authenticator_verifier'),
               ('supabase_auth_admin', :'auth_admin_verifier'),
               ('supabase_storage_admin', :'storage_admin_verifier'),
               ('supabase_admin', :'supabase_admin_verifier')) AS wanted(name, verifier)
  JOIN pg_authid ON pg_authid.rolname = wanted.name
 WHERE pg_authid.rolpassword IS DISTINCT FROM wanted.verifier
\gexec

GRANT anon, authenticated, service_role TO authenticator;
-- Storage switches into the API roles through authenticator, as on the platform.
GRANT authenticator TO supabase_storage_admin;

ALTER ROLE anon SET statement_timeout = '3s';
ALTER ROLE authenticated SET statement_timeout = '8s';
ALTER ROLE authenticator SET statement_timeout = '8s';
ALTER ROLE authenticator SET lock_timeout = '8s';
ALTER ROLE supabase_admin SET search_path = public, extensions;
ALTER ROLE supabase_auth_admin SET search_path = auth;
ALTER ROLE supabase_auth_admin SET idle_in_transaction_session_timeout = 60000;
ALTER ROLE supabase_storage_admin SET search_path = storage;

-- GoTrue and Storage run `CREATE SCHEMA IF NOT EXISTS` in their migrations; PostgreSQL checks the
-- privilege before it looks for the schema.
SELECT format('GRANT CREATE ON DATABASE %I TO supabase_auth_admin, supabase_storage_admin',
              current_database())
\gexec

-- Schemas ----------------------------------------------------------------------------------------

CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_auth_admin;
CREATE SCHEMA IF NOT EXISTS storage AUTHORIZATION supabase_storage_admin;
CREATE SCHEMA IF NOT EXISTS graphql_public;
CREATE SCHEMA IF NOT EXISTS _realtime AUTHORIZATION supabase_admin;

GRANT USAGE ON SCHEMA public, extensions, graphql_public, auth, storage
  TO anon, authenticated, service_role;

-- Tables, sequences and functions created in public by the admin (app migrations) or by
-- supabase_admin are reachable through the API; row-level security decides which rows.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
  GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
  GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
  GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_storage_admin IN SCHEMA storage
  GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_storage_admin IN SCHEMA storage
  GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_storage_admin IN SCHEMA storage
  GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;

-- Extensions that Debian's postgresql-contrib provides (Storage's migrations call
-- extensions.uuid_generate_v4()).
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;

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
-- Reload PostgREST's schema cache after DDL, as the platform's pgrst_ddl_watch trigger does.

CREATE OR REPLACE FUNCTION extensions.pgrst_ddl_watch() RETURNS event_trigger
  LANGUAGE plpgsql AS $fn$
BEGIN
  NOTIFY pgrst, 'reload schema';
END
$fn$;

SELECT 'CREATE EVENT TRIGGER pgrst_ddl_watch ON ddl_command_end EXECUTE FUNCTION extensions.pgrst_ddl_watch()'
 WHERE NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'pgrst_ddl_watch')
\gexec

SELECT 'CREATE EVENT TRIGGER pgrst_drop_watch ON sql_drop EXECUTE FUNCTION extensions.pgrst_ddl_watch()'
 WHERE NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'pgrst_drop_watch')
\gexec

-- Access token lifetime, as docker/volumes/db/jwt.sql sets it.
SELECT format('ALTER DATABASE %I SET "app.settings.jwt_exp" TO %L', current_database(), :'jwt_exp')
\gexec
