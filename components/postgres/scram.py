"""SCRAM-SHA-256 password verifiers (RFC 5802/7677), as PostgreSQL stores them in pg_authid.

Pulumi hands the VM verifiers instead of passwords: `ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'`
stores them as they are, and the clear passwords only ever reach the cluster's Secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

ITERATIONS = 4096
"""PostgreSQL's default scram_iterations."""


def scram_sha256_verifier(password: str, salt: bytes, iterations: int = ITERATIONS) -> str:
    """`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` for a password and salt."""
    if len(salt) < 16:
        raise ValueError("a SCRAM salt needs at least 16 bytes")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
