"""The derived API keys verify against the JWT secret (checked with PyJWT, not our own code)."""

from __future__ import annotations

import time

import jwt
import pytest

from components.supabase.keys import ISSUER, KEY_LIFETIME_SECONDS, sign_api_key

SECRET = "a-jwt-secret-of-at-least-32-characters!!"
ISSUED_AT = int(time.time()) - 60


@pytest.mark.parametrize("role", ["anon", "service_role"])
def test_key_verifies_with_role_issuer_and_lifetime(role: str) -> None:
    key = sign_api_key(SECRET, role, ISSUED_AT)

    claims = jwt.decode(
        key, SECRET, algorithms=["HS256"], issuer=ISSUER, options={"require": ["role", "iss", "iat", "exp"]}
    )
    assert claims["role"] == role
    assert claims["iat"] == ISSUED_AT
    assert claims["exp"] == ISSUED_AT + KEY_LIFETIME_SECONDS
    assert jwt.get_unverified_header(key) == {"alg": "HS256", "typ": "JWT"}


def test_key_signed_with_another_secret_does_not_verify() -> None:
    forged = sign_api_key("another-secret-that-is-also-32-chars-long", "service_role", ISSUED_AT)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, SECRET, algorithms=["HS256"], issuer=ISSUER)


def test_the_key_depends_on_the_pinned_issue_time() -> None:
    """The issue time is pinned in state (a new time would make new keys on every run)."""
    assert sign_api_key(SECRET, "anon", ISSUED_AT) != sign_api_key(SECRET, "anon", ISSUED_AT + 1)


def test_bad_inputs_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="unknown API role 'authenticated'"):
        sign_api_key(SECRET, "authenticated", ISSUED_AT)
    with pytest.raises(ValueError, match="at least 32 characters"):
        sign_api_key("short", "anon", ISSUED_AT)
