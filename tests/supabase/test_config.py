"""Bad `supabase` settings stop the program with a message naming the key and what to do."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from components.config.secrets import SECRET_SPECS
from tests.pending_outputs import outputs_event_loop

BASE: dict[str, Any] = {
    "environment": "dev",
    "adminCidrs": ["203.0.113.7/32"],
    "sshPublicKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDexampleexampleexampleexampleexample ops"],
    # Self-hosted Storage keeps its files here (the stack rules refuse self-hosted without it).
    "objectStore": {"mode": "in-cluster", "buckets": [{"name": "supabase-storage"}]},
}
SELF_HOSTED: dict[str, Any] = {
    "mode": "self-hosted",
    "host": "supabase.example.com",
    "siteUrl": "https://app.example.com",
    "emailAutoconfirm": True,
}


def parse(supabase: dict[str, Any], secrets: dict[str, str] | None = None) -> Any:
    """Parse a stack with every other required secret present, so only Supabase's rules can fail."""
    given = {spec.key: "stand-in" for spec in SECRET_SPECS if not spec.key.startswith("supabase")}
    given |= secrets or {}
    values: dict[str, Any] = {**BASE, "supabase": supabase, **given}
    with outputs_event_loop():  # the secrets become Outputs: finish them (tests/pending_outputs.py)
        return parse_stack_config("platform", values, {f"platform:{key}" for key in given})


@pytest.mark.parametrize(
    ("supabase", "fragments"),
    [
        ({"mode": "self-hosted"}, ["platform:supabase.host", "required when mode is self-hosted"]),
        ({**SELF_HOSTED, "emailAutoconfirm": False}, ["platform:supabase.smtp", "needs an SMTP server"]),
        (
            {**SELF_HOSTED, "studioAllowedCidrs": ["0.0.0.0/0"]},
            ["platform:supabase.studioAllowedCidrs", "whole internet"],
        ),
        ({**SELF_HOSTED, "host": "https://supabase.example.com"}, ["platform:supabase.host", "no scheme"]),
        ({**SELF_HOSTED, "siteUrl": "app.example.com"}, ["platform:supabase.siteUrl", "not an https:// URL"]),
        (
            {**SELF_HOSTED, "resources": {"postgres": {"cpu": "1", "memory": "1Gi", "memoryLimit": "1Gi"}}},
            ["platform:supabase.resources", "unknown service(s) ['postgres']"],
        ),
        (
            {**SELF_HOSTED, "resources": {"kong": {"cpu": "lots", "memory": "1Gi", "memoryLimit": "1Gi"}}},
            ["platform:supabase.resources.kong.cpu", "not a Kubernetes quantity"],
        ),
    ],
)
def test_bad_settings_are_named(supabase: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as failure:
        parse(supabase)
    for fragment in fragments:
        assert fragment in str(failure.value), str(failure.value)


def test_valid_self_hosted_settings_parse() -> None:
    loaded = parse(SELF_HOSTED)
    assert loaded.config.supabase.self_hosted
    assert loaded.config.supabase.public_url == "https://supabase.example.com"


def test_smtp_login_needs_the_password_secret() -> None:
    smtp = {"host": "smtp.example.com", "user": "mailer", "adminEmail": "no-reply@example.com"}
    with pytest.raises(ConfigError, match="pulumi config set --secret supabaseSmtpPassword"):
        parse({**SELF_HOSTED, "smtp": smtp})
    loaded = parse({**SELF_HOSTED, "smtp": smtp}, {"supabaseSmtpPassword": "s3cret"})
    assert loaded.secrets.supabase_smtp_password is not None
