"""The Supabase database exactly as the VM and the bootstrap Job leave it.

The sequence is the real one: a scratch database host (tests/postgres/pg_host.py) renders the VM's
postgresql.conf and TLS-only pg_hba.conf, runs the VM's roles.sql with self-hosted Supabase's
superuser, and then the bootstrap Job's own psql command line runs bootstrap.sql with the Job's
libpq settings (components/supabase/bootstrap.py): as `supabase_root`, over TLS verified against
the database CA, into the application database `app`. Only the address, port and CA path differ.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.postgres.component import SUPERUSER
from components.postgres.scram import scram_sha256_verifier
from components.supabase.bootstrap import BOOTSTRAP_SQL, connection_env, psql_command
from components.supabase.credentials import VERIFIER_VARIABLES
from components.supabase.spec import DB_CA_FILE, Database
from tests.postgres.pg_host import ADMIN_PASSWORD, APP_PASSWORD, SUPERUSER_PASSWORD, PgHost

PASSWORDS = {
    "authenticator": "rest-password-1",
    "supabase_auth_admin": "auth-password-2",
    "supabase_storage_admin": "storage-password-3",
    "supabase_admin": "realtime-password-4",
    "supabase_postgres": "dashboard-password-5",
}
"""Password of every role the bootstrap gives a login (one per VERIFIER_VARIABLES entry)."""

VM_PASSWORDS = {"dbadmin": ADMIN_PASSWORD, "app": APP_PASSWORD, SUPERUSER: SUPERUSER_PASSWORD}
"""The logins the VM's roles.sql made (tests/postgres/pg_host.py)."""


def bootstrap_variables(passwords: Mapping[str, str] = PASSWORDS) -> dict[str, str]:
    """The Job's psql variables: a SCRAM verifier per role, and the token lifetime."""
    variables = {
        VERIFIER_VARIABLES[role]: scram_sha256_verifier(password, os.urandom(16))
        for role, password in passwords.items()
    }
    return {**variables, "jwt_exp": "3600"}


@dataclass
class VmDatabase:
    host: PgHost

    @classmethod
    def create(cls) -> VmDatabase:
        """A running database host after the VM's boot (roles.sql), not yet bootstrapped."""
        host = PgHost.create(allowed_network="127.0.0.1/32", supabase=True)
        try:
            host.initdb()
            host.start()
            host.create_roles()
        except BaseException:
            host.destroy()
            raise
        return cls(host)

    @property
    def port(self) -> int:
        return self.host.layout.port

    @property
    def database(self) -> str:
        return self.host.spec.database

    def job_environment(self, variables: Mapping[str, str]) -> dict[str, str]:
        """The bootstrap Job's environment, pointed at this host."""
        database = Database(host="127.0.0.1", port=str(self.port), name=self.database, admin_user=SUPERUSER)
        env = {key: str(value) for key, value in connection_env(database).items()}
        assert env["PGSSLROOTCERT"] == DB_CA_FILE
        env["PGSSLROOTCERT"] = str(self.host.ca_file)
        return {
            "PATH": os.environ["PATH"],
            "PGPASSWORD": SUPERUSER_PASSWORD,
            **env,
            **{name.upper(): value for name, value in variables.items()},
        }

    def bootstrap(
        self, variables: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the Job's command line (its `sh -c` and psql flags) with the Job's environment."""
        command = psql_command()
        command[-1] = command[-1].replace("/etc/supabase/bootstrap/bootstrap.sql", str(BOOTSTRAP_SQL))
        result = subprocess.run(
            command,
            env=self.job_environment(variables or bootstrap_variables()),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"bootstrap failed ({result.returncode}):\n{result.stderr}")
        return result

    def conninfo(self, role: str, sslmode: str = "verify-full") -> str:
        return (
            f"host=127.0.0.1 port={self.port} dbname={self.database} user={role} "
            f"sslmode={sslmode} sslrootcert={self.host.ca_file}"
        )

    def run(self, role: str, password: str, sql: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A psql script (meta-commands allowed) as `role`, logging in over verified TLS."""
        env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}
        result = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-f", "-", self.conninfo(role)],
            input=sql,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"psql as {role} failed ({result.returncode}):\n{result.stderr}")
        return result

    def query(self, sql: str, role: str = SUPERUSER, password: str | None = None) -> list[list[str]]:
        """Rows as lists of text fields; by default as the superuser the bootstrap uses."""
        secret = password if password is not None else {**VM_PASSWORDS, **PASSWORDS}[role]
        output = self.run(role, secret, sql).stdout
        return [line.split("|") for line in output.splitlines() if line]

    def as_postgrest(self, claims: Mapping[str, Any], sql: str) -> list[str]:
        """As PostgREST v14 runs a request: log in as authenticator, then per transaction switch to
        the JWT's role and expose the claims in `request.jwt.claims`."""
        statement = f"""
            BEGIN;
            SELECT set_config('role', '{claims["role"]}', true),
                   set_config('request.jwt.claims', '{json.dumps(claims)}', true) \\g /dev/null
            {sql};
            COMMIT;"""
        output = self.run("authenticator", PASSWORDS["authenticator"], statement).stdout
        return sorted(line for line in output.splitlines() if line)

    def destroy(self) -> None:
        self.host.destroy()
