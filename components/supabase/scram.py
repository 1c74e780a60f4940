"""SCRAM-SHA-256 password verifiers (RFC 5802 / RFC 7677), the form PostgreSQL stores in pg_authid.

The bootstrap SQL sets role passwords from verifiers computed here: the plaintext password never
reaches the database server or its logs, and a fixed salt (kept in Pulumi state) makes the stored
value identical on every run, so re-running the bootstrap changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

ITERATIONS = 4096
"""PostgreSQL's default `scram_iterations`."""


def scram_sha256_verifier(password: str, salt: bytes, iterations: int = ITERATIONS) -> str:
    """`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, all base64 as PostgreSQL writes it."""
    if len(salt) < 16:
        raise ValueError(f"salt must be at least 16 bytes, got {len(salt)}")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
