"""Renders the gateway's declarative configuration (files/kong.yml) from typed settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from ..template import render_template

KONG_TEMPLATE = Path(__file__).parent / "files" / "kong.yml"

STUDIO_GATE_HEADER = "x-supabase-studio-gate"
"""Header the Ingress adds (with the gate token) and Kong's Studio route requires (files/kong.yml)."""

STUDIO_CLOSED = {
    "name": "request-termination",
    "config": {"status_code": 403, "message": "Studio is closed: supabase.studioAllowedCidrs is empty"},
}


@dataclass(frozen=True)
class KongSettings:
    anon_key: str
    service_role_key: str
    dashboard_username: str
    dashboard_password: str
    issuer: str
    """GoTrue's JWT issuer, API_EXTERNAL_URL (https://<host>/auth/v1)."""
    realtime_target: str
    """host:port of the Realtime Service."""
    studio_allowed_cidrs: tuple[str, ...]
    functions_enabled: bool
    studio_gate_token: str
    """Value of STUDIO_GATE_HEADER that only the Ingress sends."""


def oauth_metadata_path(issuer: str) -> str:
    """RFC 8414 §3.1: the well-known segment goes between the issuer's host and its path."""
    parsed = urlparse(issuer)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"issuer {issuer!r} must be an http(s) URL")
    path = parsed.path.rstrip("/")
    return "/.well-known/oauth-authorization-server" + path


def render_kong_config(settings: KongSettings) -> str:
    # Each value goes in as JSON, which YAML reads as the same scalar or list: a value cannot end its
    # scalar early and add keys of its own.
    values: dict[str, Any] = {
        "anon_key": settings.anon_key,
        "service_role_key": settings.service_role_key,
        "dashboard_username": settings.dashboard_username,
        "dashboard_password": settings.dashboard_password,
        "oauth_metadata_path": oauth_metadata_path(settings.issuer),
        "realtime_target": settings.realtime_target,
        "studio_allowed_cidrs": list(settings.studio_allowed_cidrs),
        "studio_gate_header": STUDIO_GATE_HEADER,
        "studio_gate_token": settings.studio_gate_token,
    }
    rendered = render_template(KONG_TEMPLATE, {k: json.dumps(v) for k, v in values.items()})
    config = yaml.load(rendered, Loader=yaml.CSafeLoader)
    services: list[dict[str, Any]] = config["services"]
    if not settings.functions_enabled:
        services[:] = [service for service in services if service["name"] != "functions-v1"]
    if not settings.studio_allowed_cidrs:
        # Kong's ip-restriction needs at least one address; with none, nobody may open Studio.
        dashboard = next(service for service in services if service["name"] == "dashboard")
        dashboard["plugins"] = [STUDIO_CLOSED]
    return yaml.safe_dump(config, sort_keys=False, width=120)
