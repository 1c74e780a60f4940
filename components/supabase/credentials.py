"""Every secret self-hosted Supabase needs, generated once and kept in Pulumi state.

The JWT secret and the moment the API keys were issued are resources, so the keys derived from them
stay the same from one run to the next; bumping `supabase.keyGeneration` replaces both and re-issues
the keys. Database passwords go to the server only as SCRAM verifiers (components/postgres/scram.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_random as random
import pulumiverse_time as time

from ..postgres.scram import scram_sha256_verifier
from .keys import sign_api_key
from .spec import DASHBOARD_DB_ROLE, DSN_TLS_QUERY, Database

VERIFIER_VARIABLES = {
    # database role -> psql variable of files/bootstrap.sql
    "authenticator": "authenticator_verifier",
    "supabase_auth_admin": "auth_admin_verifier",
    "supabase_storage_admin": "storage_admin_verifier",
    "supabase_admin": "supabase_admin_verifier",
    DASHBOARD_DB_ROLE: "dashboard_verifier",  # supabase_read_only_user gets the same verifier
}


def _password(
    name: str, length: int, parent: pulumi.Resource, keepers: dict[str, str] | None = None
) -> pulumi.Output[str]:
    # Letters and digits only: the values end up in connection URLs and HTTP basic auth unescaped.
    return random.RandomPassword(
        name, length=length, special=False, keepers=keepers, opts=pulumi.ResourceOptions(parent=parent)
    ).result


@dataclass(frozen=True)
class DatabaseLogin:
    role: str
    password: pulumi.Output[str]
    verifier: pulumi.Output[str]


class Credentials:
    """Generated secrets of one Supabase instance; all values are secret Outputs."""

    def __init__(self, name: str, key_generation: int, parent: pulumi.Resource) -> None:
        generation = {"generation": str(key_generation)}
        self.jwt_secret = _password(f"{name}-jwt-secret", 48, parent, generation)
        issued = time.Static(
            f"{name}-keys-issued-at", triggers=generation, opts=pulumi.ResourceOptions(parent=parent)
        )
        self.anon_key = self._api_key("anon", issued.unix)
        self.service_role_key = self._api_key("service_role", issued.unix)
        self.issued_at = issued.unix

        self.logins: dict[str, DatabaseLogin] = {}
        for role in VERIFIER_VARIABLES:
            password = _password(f"{name}-db-{role}", 32, parent)
            salt = random.RandomId(
                f"{name}-db-{role}-salt", byte_length=16, opts=pulumi.ResourceOptions(parent=parent)
            ).hex
            verifier: pulumi.Output[str] = pulumi.Output.secret(
                pulumi.Output.all(password, salt).apply(
                    lambda args: scram_sha256_verifier(args[0], bytes.fromhex(args[1]))
                )
            )
            self.logins[role] = DatabaseLogin(role, password, verifier)

        self.dashboard_password = _password(f"{name}-dashboard", 32, parent)
        self.studio_gate_token = _password(f"{name}-studio-gate", 48, parent)
        self.realtime_secret_key_base = _password(f"{name}-realtime-secret-key-base", 64, parent)
        self.realtime_db_enc_key = _password(f"{name}-realtime-db-enc-key", 16, parent)  # AES-128: 16 bytes
        self.pg_meta_crypto_key = _password(f"{name}-pg-meta-crypto-key", 32, parent)
        self.s3_protocol_access_key_id = _password(f"{name}-s3-protocol-key-id", 32, parent)
        self.s3_protocol_access_key_secret = _password(f"{name}-s3-protocol-key-secret", 64, parent)

    def _api_key(self, role: str, issued_at: pulumi.Output[int]) -> pulumi.Output[str]:
        return pulumi.Output.secret(
            pulumi.Output.all(self.jwt_secret, issued_at).apply(
                lambda args: sign_api_key(args[0], role, int(args[1]))
            )
        )

    def database_url(self, role: str, database: Database, scheme: str = "postgres") -> pulumi.Output[str]:
        login = self.logins[role]
        return database_url(role, login.password, database, scheme)


def database_url(
    user: pulumi.Input[str], password: pulumi.Input[str], database: Database, scheme: str = "postgres"
) -> pulumi.Output[str]:
    """A connection URL with TLS parameters; secret because it carries the password."""
    return pulumi.Output.secret(
        pulumi.Output.format(
            "{0}://{1}:{2}@{3}:{4}/{5}{6}",
            scheme,
            _escaped(user),
            _escaped(password),
            database.host,
            database.port,
            database.name,
            DSN_TLS_QUERY,
        )
    )


def _escaped(value: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.from_input(value).apply(lambda text: quote(text, safe=""))
