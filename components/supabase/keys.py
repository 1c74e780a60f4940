"""The API keys: HS256 JWTs derived from the JWT secret, as upstream's docker/utils/generate-keys.sh does.

The secret is used as its raw UTF-8 bytes (never base64-decoded), which is how GoTrue, PostgREST,
Realtime and Storage read JWT_SECRET; a mismatch there is the classic `JWSInvalidSignature`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

ISSUER = "supabase"
"""`iss` of the anon and service_role keys (upstream's generator uses the same)."""

KEY_LIFETIME_SECONDS = 5 * 365 * 24 * 3600
"""Upstream's generator issues keys valid for five years."""

API_ROLES = ("anon", "service_role")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign_api_key(jwt_secret: str, role: str, issued_at: int) -> str:
    """The API key for `role` (anon or service_role), issued at `issued_at` (Unix seconds)."""
    if role not in API_ROLES:
        raise ValueError(f"unknown API role {role!r}; expected one of {', '.join(API_ROLES)}")
    if len(jwt_secret) < 32:
        raise ValueError("the JWT secret must be at least 32 characters (GoTrue refuses shorter ones)")
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"role": role, "iss": ISSUER, "iat": issued_at, "exp": issued_at + KEY_LIFETIME_SECONDS}
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(jwt_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"
