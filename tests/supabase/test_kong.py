"""The gateway's declarative config: every Supabase API route, with the apikey checks upstream makes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.supabase.kong import KongSettings, oauth_metadata_path, render_kong_config

SETTINGS = KongSettings(
    anon_key="anon.jwt.value",
    service_role_key="service.jwt.value",
    dashboard_username="supabase",
    dashboard_password="dashboard-password",
    issuer="https://supabase.example.com/auth/v1",
    realtime_target="realtime.supabase.svc.cluster.local:4000",
    studio_allowed_cidrs=("203.0.113.7/32",),
    functions_enabled=True,
    studio_gate_token="gate-token-value",
)


def render(**changes: Any) -> dict[str, Any]:
    return yaml.safe_load(render_kong_config(KongSettings(**{**SETTINGS.__dict__, **changes})))


def by_path(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        path: service
        for service in config["services"]
        for route in service["routes"]
        for path in route.get("paths", [])
    }


def plugins(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {plugin["name"]: plugin.get("config", {}) for plugin in service.get("plugins", [])}


@pytest.mark.parametrize(
    ("path", "groups"),
    [
        ("/auth/v1/", ["admin", "anon"]),
        ("/rest/v1/", ["admin", "anon"]),
        ("/graphql/v1", ["admin", "anon"]),
        ("/realtime/v1/", ["admin", "anon"]),
        ("/realtime/v1/api", ["admin", "anon"]),
        ("/pg/", ["admin"]),
    ],
)
def test_api_routes_require_a_known_apikey(path: str, groups: list[str]) -> None:
    route_plugins = plugins(by_path(render())[path])
    assert "key-auth" in route_plugins
    assert route_plugins["acl"]["allow"] == groups


def test_storage_and_functions_check_tokens_themselves() -> None:
    routes = by_path(render())
    for path in ("/storage/v1/", "/functions/v1/"):
        assert "key-auth" not in plugins(routes[path])
    assert routes["/functions/v1/"]["url"] == "http://functions:9000/"


def test_functions_route_exists_only_when_enabled() -> None:
    assert "/functions/v1/" in by_path(render(functions_enabled=True))
    assert "/functions/v1/" not in by_path(render(functions_enabled=False))


def test_keys_map_to_consumers_and_acl_groups() -> None:
    config = render()
    keys = {c["username"]: [k["key"] for k in c.get("keyauth_credentials", [])] for c in config["consumers"]}
    assert keys["anon"] == ["anon.jwt.value"] and keys["service_role"] == ["service.jwt.value"]
    assert {(a["consumer"], a["group"]) for a in config["acls"]} == {
        ("anon", "anon"),
        ("service_role", "admin"),
    }


def test_studio_needs_an_allowed_address_and_basic_auth() -> None:
    dashboard = plugins(by_path(render())["/"])
    assert dashboard["ip-restriction"]["allow"] == ["203.0.113.7/32"]
    assert dashboard["basic-auth"]["hide_credentials"] is True


def test_studio_is_closed_without_allowed_addresses() -> None:
    dashboard = plugins(by_path(render(studio_allowed_cidrs=()))["/"])
    assert list(dashboard) == ["request-termination"]
    assert dashboard["request-termination"]["status_code"] == 403


def test_realtime_tenant_comes_from_a_fixed_host_header() -> None:
    config = render()
    (upstream,) = config["upstreams"]
    assert upstream["host_header"].split(".")[0] == "realtime-dev"
    assert upstream["targets"] == [{"target": "realtime.supabase.svc.cluster.local:4000"}]
    assert by_path(config)["/realtime/v1/"]["url"] == "http://realtime:4000/socket"


def test_realtime_tenant_admin_api_is_blocked() -> None:
    routes = by_path(render())
    for path in ("/realtime/v1/api/tenants", "/realtime/v1/api/openapi"):
        assert plugins(routes[path])["request-termination"]["status_code"] == 403


def test_oauth_metadata_path_follows_rfc_8414() -> None:
    assert (
        oauth_metadata_path("https://x.example.com/auth/v1")
        == "/.well-known/oauth-authorization-server/auth/v1"
    )
    assert oauth_metadata_path("https://x.example.com/") == "/.well-known/oauth-authorization-server"
    with pytest.raises(ValueError, match="must be an http"):
        oauth_metadata_path("x.example.com/auth/v1")


def test_values_cannot_break_out_of_their_yaml_scalar() -> None:
    config = render(dashboard_password="a: b\n- c")
    assert config["basicauth_credentials"][0]["password"] == "a: b\n- c"


def test_functions_never_see_a_client_sent_sb_api_key() -> None:
    """Upstream's functions-v1 removes it (the gateway sets it from a key it checked); a function must
    not take a caller's header for one."""
    functions = plugins(by_path(render())["/functions/v1/"])
    assert functions["request-transformer"]["remove"] == {"headers": ["sb-api-key"]}
