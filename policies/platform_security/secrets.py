"""Recognising secret material in plain text, without ever echoing it back in a message."""

from __future__ import annotations

import re

# Environment variable names that hold credentials (matched on word boundaries of UPPER_SNAKE names).
_SECRET_NAME = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|SECRET_?KEY|CREDENTIALS?|"
    r"SERVICE_ROLE_KEY|JWT_SECRET|DSN)(_|$)",
)

# Values that are secret whatever they are called.
_SECRET_VALUE = [
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("a URL with a password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
    ("a k3s join token", re.compile(r"\bK10[0-9a-f]{64}::[a-z]+:\S+")),
    ("an AWS-style access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
]

# Lines such as `token: abc`, `password = abc`, `repo1-s3-key-secret=abc` in a config file.
_SECRET_SETTING = re.compile(
    r"^\s*[\w.-]*(token|password|passphrase|secret|key-secret|cipher-pass)[\w.-]*\s*[:=]\s*\S+",
    re.IGNORECASE | re.MULTILINE,
)

# Values that are obviously not the secret itself: references, placeholders, empty.
_NOT_A_VALUE = re.compile(r"^(\$\(.*\)|\$\{.*\}|<.*>|changeme|)$", re.IGNORECASE)


def secret_like_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name.upper()))


def secret_value_kind(value: str) -> str | None:
    """What kind of secret a value looks like (for the message), or None."""
    for kind, pattern in _SECRET_VALUE:
        if pattern.search(value):
            return kind
    return None


def is_literal(value: str) -> bool:
    return not _NOT_A_VALUE.match(value.strip())


def carries_secrets(text: str) -> str | None:
    """Why a document (user-data, a config file) holds secret material, or None."""
    kind = secret_value_kind(text)
    if kind:
        return kind
    if _SECRET_SETTING.search(text):
        return "a token or password setting"
    return None
