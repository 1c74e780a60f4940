"""Security gates ("security audits show no critical misconfigurations"): what the Hetzner firewalls
really admit, read from the API, and whether the Kubernetes API answers from outside adminCidrs."""

from __future__ import annotations

import base64
import ipaddress
import socket
import urllib.parse

import yaml

from components.naming import LABEL_PREFIX
from components.supabase.component import NAMESPACE as SUPABASE_NAMESPACE

from .gates import Context, GateResult, NotMeasurableError

ADMIN_PORTS = {"22", "6443"}
DATABASE_PORT = "5432"


def _networks(cidrs: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def _covered(source: str, allowed: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    network = ipaddress.ip_network(source, strict=False)
    return any(network.version == a.version and network.subnet_of(a) for a in allowed)  # type: ignore[arg-type]


def firewall_rules(ctx: Context) -> list[GateResult]:
    if ctx.hcloud is None:
        raise NotMeasurableError("no Hetzner API: set HCLOUD_TOKEN (read-only is enough)")
    selector = f"{LABEL_PREFIX}/project={ctx.project},{LABEL_PREFIX}/stack={ctx.stack}"
    firewalls = ctx.hcloud.list("firewalls", label_selector=selector)
    if not firewalls:
        raise NotMeasurableError(
            f"no firewall labelled {selector} in the project: is HCLOUD_TOKEN this stack's project?"
        )
    allowed = _networks(list(ctx.config.admin_cidrs))
    too_wide, database_open = [], []
    for firewall in firewalls:
        for rule in firewall.get("rules", []):
            if rule.get("direction") != "in" or rule.get("protocol") != "tcp":
                continue
            outside = [s for s in rule.get("source_ips", []) if not _covered(s, allowed)]
            if rule.get("port") in ADMIN_PORTS and outside:
                too_wide.append(f"{firewall['name']}: port {rule['port']} from {', '.join(outside)}")
            if rule.get("port") == DATABASE_PORT and rule.get("source_ips"):
                database_open.append(f"{firewall['name']}: from {', '.join(rule['source_ips'])}")
    return [
        GateResult(
            "SSH and API only from adminCidrs",
            "; ".join(too_wide) or f"{len(firewalls)} firewalls checked",
            f"sources within {', '.join(ctx.config.admin_cidrs)}",
            not too_wide,
            "a rule changed in the console (drift): run the drift check, then pulumi up",
        ),
        GateResult(
            "no public database port",
            "; ".join(database_open) or "none open",
            "port 5432 closed on the public interface",
            not database_open,
            "the database is reached over the private network only; remove the rule",
        ),
    ]


def api_closed_from_outside(ctx: Context) -> list[GateResult]:
    """From a machine outside adminCidrs, no server's public API address may accept a connection."""
    if ctx.inside_admin_cidrs is not False:
        raise NotMeasurableError(
            "only measurable from outside adminCidrs: run with --outside-admin-cidrs from such a machine"
        )
    endpoints = [urllib.parse.urlsplit(url) for url in ctx.outputs.get("apiEndpoints", [])]
    if not endpoints:
        raise NotMeasurableError("no stack output `apiEndpoints` (the servers' public API addresses)")
    answering = []
    for endpoint in endpoints:
        try:
            with socket.create_connection((endpoint.hostname, endpoint.port or 6443), timeout=5):
                answering.append(endpoint.netloc)
        except OSError:
            pass
    return [
        GateResult(
            "Kubernetes API closed from outside adminCidrs",
            f"answers on {', '.join(answering)}" if answering else f"none of {len(endpoints)} answers",
            "no answer",
            not answering,
            "the control-plane firewall admits more than adminCidrs (see the firewall gate)",
        )
    ]


def studio_closed_or_allow_listed(ctx: Context) -> list[GateResult]:
    """Studio as Kong runs it: the dashboard route of the live Kong configuration (a Secret in the
    supabase namespace) is either terminated (closed) or limited to a list without the whole internet."""
    kube = ctx.need_kube()
    configs = [
        base64.b64decode(secret["data"]["kong.yml"]).decode()
        for secret in kube.items(f"/api/v1/namespaces/{SUPABASE_NAMESPACE}/secrets")
        if "kong.yml" in (secret.get("data") or {})
    ]
    if len(configs) != 1:
        raise NotMeasurableError(
            f"expected one Kong configuration in namespace {SUPABASE_NAMESPACE}, found {len(configs)}"
        )
    services = yaml.safe_load(configs[0]).get("services", [])
    dashboard = next((service for service in services if service.get("name") == "dashboard"), None)
    plugins = {plugin["name"]: plugin.get("config") or {} for plugin in (dashboard or {}).get("plugins", [])}
    if dashboard is None or "request-termination" in plugins:
        measured, passed = "closed", True
    else:
        allowed = list(plugins.get("ip-restriction", {}).get("allow") or [])
        world = [c for c in allowed if ipaddress.ip_network(c, strict=False).prefixlen == 0]
        measured = f"allow-listed: {', '.join(allowed)}" if allowed else "open: no ip-restriction"
        passed = bool(allowed) and not world
    return [
        GateResult(
            "Studio closed or allow-listed",
            measured,
            "closed, or an allow-list without /0",
            passed,
            "supabase.studioAllowedCidrs: your office or VPN range, then pulumi up",
        )
    ]
