"""Each check asks the Hetzner API one question about the stack's plan and says what blocks `pulumi up`."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.network.ssh_keys import is_this_stacks, md5_fingerprint

from .hcloud_api import ApiError, HcloudApi
from .plan import StackPlan

SERVERS_PER_SPREAD_GROUP = 10
PLACEMENT_GROUPS_PER_PROJECT = 50
"""Hetzner: "Up to 50 Placement Groups per project • Up to 10 servers per Placement Group (type
Spread)" (docs.hetzner.com/cloud/placement-groups/overview)."""


@dataclass(frozen=True)
class Finding:
    check: str
    subject: str
    blocker: bool
    detail: str
    fix: str = ""


Check = Callable[[HcloudApi, StackPlan], list[Finding]]


def _ok(check: str, subject: str, detail: str) -> Finding:
    return Finding(check, subject, False, detail)


def _blocker(check: str, subject: str, detail: str, fix: str) -> Finding:
    return Finding(check, subject, True, detail, fix)


def check_token(api: HcloudApi) -> list[Finding]:
    """Asked before anything else: without a usable token no other question can be asked."""
    try:
        api.get("/locations")
    except ApiError as error:
        if error.status == 401:
            return [
                _blocker(
                    "token",
                    "HCLOUD_TOKEN",
                    "the API refuses the token (401 unauthorized)",
                    "create an API token in the Hetzner console (project > Security > API tokens)",
                )
            ]
        raise
    if not api.token_can_write():
        return [
            _blocker(
                "token",
                "HCLOUD_TOKEN",
                "the token is read-only",
                "create a Read & Write token: `pulumi up` creates servers, networks and firewalls",
            )
        ]
    return [_ok("token", "HCLOUD_TOKEN", "valid, may read and write")]


def check_location(api: HcloudApi, plan: StackPlan) -> list[Finding]:
    if api.get("/locations", name=plan.location)["locations"]:
        return [_ok("location", plan.location, "exists")]
    names = ", ".join(sorted(loc["name"] for loc in api.list("locations")))
    return [
        _blocker(
            "location", plan.location, "no such location in this project", f"set `location` to one of {names}"
        )
    ]


def _unorderable_reason(server_type: dict[str, Any], location: str) -> str:
    """Why a server type cannot be ordered in a location now, or "" when it can."""
    where = {entry["name"]: entry for entry in server_type.get("locations") or []}
    entry = where.get(location)
    if entry is None:
        return f"not sold in {location}"
    if entry.get("available") is False:
        return f"not available for new orders in {location}"
    deprecation = entry.get("deprecation") or server_type.get("deprecation")
    if deprecation:
        return (
            f"deprecated (announced {deprecation.get('announced', '?')}, unavailable after "
            f"{deprecation.get('unavailable_after', '?')})"
        )
    return ""


def _monthly_net(server_type: dict[str, Any], location: str) -> float:
    for price in server_type.get("prices") or []:
        if price.get("location") == location:
            return float(price["price_monthly"]["net"])
    return float("inf")


def _alternative(types: list[dict[str, Any]], wanted: dict[str, Any], location: str) -> str:
    """The cheapest orderable type with at least the wanted type's cores and memory, same architecture."""
    fits = [
        t
        for t in types
        if t.get("architecture") == wanted.get("architecture")
        and t["cores"] >= wanted["cores"]
        and t["memory"] >= wanted["memory"]
        and not _unorderable_reason(t, location)
    ]
    if not fits:
        return "pick another location, or ask Hetzner support for the type"
    best = min(fits, key=lambda t: (_monthly_net(t, location), t["name"]))
    price = _monthly_net(best, location)
    cost = f", {price:.2f} EUR/month net" if price != float("inf") else ""
    return f"use {best['name']} ({best['cores']} vCPU, {best['memory']:g} GB{cost})"


def check_server_types(api: HcloudApi, plan: StackPlan) -> list[Finding]:
    types = api.list("server_types")
    by_name = {t["name"]: t for t in types}
    findings = []
    for name, keys in plan.server_types.items():
        where = ", ".join(keys)
        wanted = by_name.get(name)
        if wanted is None:
            findings.append(
                _blocker(
                    "server types",
                    name,
                    "the API does not know this type",
                    f"change {where} to a type `hcloud server-type list` shows",
                )
            )
            continue
        reason = _unorderable_reason(wanted, plan.location)
        if reason:
            findings.append(
                _blocker(
                    "server types",
                    name,
                    f"{reason} (used by {where})",
                    f"{_alternative(types, wanted, plan.location)} in {where}",
                )
            )
        else:
            findings.append(_ok("server types", name, f"orderable in {plan.location}"))
    return findings


def check_images(api: HcloudApi, plan: StackPlan) -> list[Finding]:
    findings = []
    for name in plan.images:
        images = api.list("images", name=name, type="system", architecture="x86")
        if not images:
            findings.append(
                _blocker(
                    "image",
                    name,
                    "no such system image",
                    "set the image in components/versions.py (SERVER_IMAGE) to one "
                    "`hcloud image list --type system` shows",
                )
            )
        elif images[0].get("deprecated"):
            findings.append(
                _blocker(
                    "image",
                    name,
                    f"deprecated since {images[0]['deprecated']}",
                    "move SERVER_IMAGE in components/versions.py to its successor",
                )
            )
        else:
            findings.append(_ok("image", name, "available"))
    return findings


def _is_ours(labels: dict[str, str], plan: StackPlan) -> bool:
    return is_this_stacks(labels, plan.labels)


def check_ssh_keys(api: HcloudApi, plan: StackPlan) -> list[Finding]:
    uploaded = {key["fingerprint"]: key for key in api.list("ssh_keys")}
    findings = []
    for public_key in plan.ssh_public_keys:
        fingerprint = md5_fingerprint(public_key)
        comment = " ".join(public_key.split()[2:]) or fingerprint
        key = uploaded.get(fingerprint)
        if key is None:
            findings.append(_ok("ssh keys", comment, "new to the project; the stack uploads it"))
        elif _is_ours(key.get("labels") or {}, plan):
            findings.append(_ok("ssh keys", comment, f"uploaded by this stack as {key['name']!r}"))
        else:
            findings.append(
                _ok("ssh keys", comment, f"already uploaded as {key['name']!r}; the stack uses it")
            )
    return findings


def check_names(api: HcloudApi, plan: StackPlan) -> list[Finding]:
    findings = []
    for resource in plan.named:
        kind = resource.collection.rstrip("s").replace("_", " ")
        for existing in api.list(resource.collection, name=resource.name):
            if _is_ours(existing.get("labels") or {}, plan):
                continue
            owner = (existing.get("labels") or {}).get("platform/stack")
            whose = f"stack {owner!r}'s" if owner else "not labelled as any stack's"
            findings.append(
                _blocker(
                    "names",
                    f"{kind} {resource.name}",
                    f"exists (id {existing['id']}), {whose}",
                    "delete or rename it in the console, or deploy this stack into its own Hetzner project",
                )
            )
    return findings or [_ok("names", f"{len(plan.named)} named resources", "no name is taken")]


def check_placement(api: HcloudApi, plan: StackPlan) -> list[Finding]:
    crowded = [n for n in plan.servers_per_placement_group if n > SERVERS_PER_SPREAD_GROUP]
    if crowded:
        return [
            _blocker(
                "placement",
                "spread group",
                f"{crowded[0]} servers in one group",
                f"at most {SERVERS_PER_SPREAD_GROUP} servers fit a spread group: split the pool",
            )
        ]
    others = [g for g in api.list("placement_groups") if not _is_ours(g.get("labels") or {}, plan)]
    if len(others) + plan.placement_groups > PLACEMENT_GROUPS_PER_PROJECT:
        return [
            _blocker(
                "placement",
                "placement groups",
                f"the project has {len(others)} of other owners; this stack adds {plan.placement_groups}, "
                f"over Hetzner's {PLACEMENT_GROUPS_PER_PROJECT} per project",
                "delete unused placement groups, or deploy this stack into its own Hetzner project",
            )
        ]
    return [
        _ok(
            "placement",
            "placement groups",
            f"{len(others)} of others + {plan.placement_groups} of this stack, "
            f"at most {SERVERS_PER_SPREAD_GROUP} servers each",
        )
    ]


def check_load_balancers(api: HcloudApi, plan: StackPlan) -> list[Finding]:
    types = {t["name"]: t for t in api.list("load_balancer_types")}
    findings = []
    for name in plan.load_balancer_types:
        wanted = types.get(name)
        if wanted is None:
            findings.append(
                _blocker(
                    "load balancers",
                    name,
                    "the API does not know this type",
                    f"use one of {', '.join(sorted(types))}",
                )
            )
        elif wanted.get("deprecated"):
            findings.append(
                _blocker(
                    "load balancers",
                    name,
                    f"deprecated since {wanted['deprecated']}",
                    f"use one of {', '.join(sorted(t for t in types if t != name))}",
                )
            )
        elif plan.location not in {p.get("location") for p in wanted.get("prices") or []}:
            findings.append(
                _blocker(
                    "load balancers", name, f"not sold in {plan.location}", "pick a location where it is sold"
                )
            )
        else:
            findings.append(_ok("load balancers", name, f"orderable in {plan.location}"))
    return findings


def check_s3_endpoints(_api: HcloudApi, plan: StackPlan) -> list[Finding]:
    """An endpoint answers when it speaks HTTPS with a trusted certificate; any HTTP status will do."""
    findings = []
    for purpose, host in plan.s3_endpoints:
        request = urllib.request.Request(f"https://{host}/", method="HEAD")
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError:
            pass  # 403 and friends: the endpoint is there and speaks S3's HTTP
        except (urllib.error.URLError, ssl.SSLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            findings.append(
                _blocker(
                    "s3 endpoints",
                    host,
                    f"{purpose}: no answer over HTTPS ({reason})",
                    "check the endpoint host in that setting (no scheme), and that this machine can reach it",
                )
            )
            continue
        findings.append(_ok("s3 endpoints", host, f"{purpose}: answers over HTTPS"))
    return findings


CHECKS: list[tuple[str, Check]] = [
    ("location exists", check_location),
    ("server types orderable", check_server_types),
    ("image available", check_images),
    ("SSH keys", check_ssh_keys),
    ("names not taken by other resources", check_names),
    ("placement groups not full", check_placement),
    ("load balancer types", check_load_balancers),
    ("S3 endpoints answer", check_s3_endpoints),
]
"""The questions asked once the token is known to work, in order."""
