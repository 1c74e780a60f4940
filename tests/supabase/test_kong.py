"""The gateway's declarative config: every Supabase API route, with the apikey checks upstream makes.

Every rendered variant first goes through decK's offline validation (tests/supabase/deck.py): entity
fields and types, references, duplicates. Plugin `config` contents are beyond what decK checks offline;
the tests below assert the plugins each route carries."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.supabase.kong import KongSettings, oauth_metadata_path, render_kong_config

from .deck import deck_errors

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
    """The rendered config, after decK accepted it."""
    text = render_kong_config(KongSettings(**{**SETTINGS.__dict__, **changes}))
    assert deck_errors(text) == ""
    config: dict[str, Any] = yaml.safe_load(text)
    return config


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
    assert keys == {"DASHBOARD": [], "anon": ["anon.jwt.value"], "service_role": ["service.jwt.value"]}
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
    (credential,) = render(dashboard_password="a: b\n- c")["basicauth_credentials"]
    assert credential == {"consumer": "DASHBOARD", "username": "supabase", "password": "a: b\n- c"}


def test_functions_never_see_a_client_sent_sb_api_key() -> None:
    """Upstream's functions-v1 removes it (the gateway sets it from a key it checked); a function must
    not take a caller's header for one."""
    functions = plugins(by_path(render())["/functions/v1/"])
    assert functions["request-transformer"]["remove"] == {"headers": ["sb-api-key"]}


def _broken(change: Any) -> str:
    """The rendered config with one change applied to its parsed form, as text again."""
    config = yaml.safe_load(render_kong_config(SETTINGS))
    change(config)
    return yaml.safe_dump(config, sort_keys=False)


def test_deck_rejects_a_misspelt_route_field() -> None:
    def misspell(config: dict[str, Any]) -> None:
        route = config["services"][0]["routes"][0]
        route["path"] = route.pop("paths")

    assert "routes.0: Additional property path is not allowed" in deck_errors(_broken(misspell))


def test_deck_rejects_a_timeout_that_is_not_a_number() -> None:
    def stringify(config: dict[str, Any]) -> None:
        (functions,) = [s for s in config["services"] if s["name"] == "functions-v1"]
        functions["read_timeout"] = "160000"

    assert "read_timeout: Invalid type. Expected: integer, given: string" in deck_errors(_broken(stringify))


def test_deck_rejects_two_routes_of_one_name() -> None:
    def duplicate(config: dict[str, Any]) -> None:
        config["services"][1]["routes"][0]["name"] = config["services"][0]["routes"][0]["name"]

    assert "inserting route auth-v1-open-verify: entity already exists" in deck_errors(_broken(duplicate))


def test_a_credential_of_an_unknown_consumer_is_refused() -> None:
    def orphan(config: dict[str, Any]) -> None:
        config["acls"][0]["consumer"] = "anonymous"

    assert deck_errors(_broken(orphan)) == "acls: names consumer 'anonymous', which the file does not define"
