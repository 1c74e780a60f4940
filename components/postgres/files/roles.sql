-- Roles and the application database, run by bootstrap.sh on every boot (idempotent).
-- psql variables: admin_user, admin_verifier, app_user, app_verifier, database, and superuser,
-- superuser_verifier (both empty unless self-hosted Supabase needs a superuser login).
-- Passwords arrive as SCRAM-SHA-256 verifiers computed by Pulumi, so the VM never holds them in
-- clear and re-running this file keeps the roles in step with the stack's secrets.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I', :'admin_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'admin_user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB CREATEROLE NOSUPERUSER PASSWORD %L',
              :'admin_user', :'admin_verifier') \gexec

SELECT format('CREATE ROLE %I', :'app_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOCREATEDB NOCREATEROLE NOSUPERUSER PASSWORD %L',
              :'app_user', :'app_verifier') \gexec

-- Self-hosted Supabase's bootstrap Job, Studio and postgres-meta need a superuser that logs in over
-- the network; the admin role deliberately is not one, so this role exists only when asked for.
SELECT format('CREATE ROLE %I', :'superuser')
 WHERE :'superuser' <> '' AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'superuser') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN SUPERUSER PASSWORD %L', :'superuser', :'superuser_verifier')
 WHERE :'superuser' <> '' \gexec

-- The admin role can act as the application role (SET ROLE) to run migrations.
SELECT format('GRANT %I TO %I', :'app_user', :'admin_user') \gexec

SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'app_user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'database', :'admin_user') \gexec
