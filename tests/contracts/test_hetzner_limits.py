"""Every Hetzner Cloud resource the program creates stays inside Hetzner's documented limits, as recorded
with their sources in the vendored `hetzner/api-limits.md` (label syntax from hcloud-go's own validation,
names, volume sizes, firewalls, networks, placement groups, load-balancer targets). The user-data size
limit has its own test with the cloud-init rendering (tests/k3s)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from offline.program import ProgramRun, Registration
from tests.contracts.charts import TRAEFIK_CHART, chart_releases
from tests.contracts.runs import STACKS, contract_run
from tests.k3s.user_data import k3s_nodes
from tests.upstream_data import upstream_file

LIMITS_FILE = "hetzner/api-limits.md"

LIMITS: dict[str, tuple[int, str]] = {
    "servers per spread placement group": (10, "Up to 10 servers per Placement Group (type Spread)"),
    "firewalls per server": (5, "Assign up to 5 active Firewalls per server"),
    "rules per firewall": (500, "Have up to 500 (effective) rules per Firewall"),
    "networks per server": (3, "Up to 3 networks per server."),
    "subnets per network": (50, "hard limit of 50 subnets per network"),
    "volume size min (GB)": (10, "The minimum Volume size is 10GB"),
    "volume size max (GB)": (10240, "the maximum size is 10TB (10240GB)"),
    "volume name length": (64, "The total length is limited to 64 characters."),
    "lb11 targets": (25, '"name": "lb11", … "max_services": 5, "max_targets": 25'),
    "lb21 targets": (75, '"name": "lb21", … "max_services": 15, "max_targets": 75'),
}
"""Each number with the words of api-limits.md it comes from (the test checks the words are there)."""

AUTONAME_SUFFIX = 8
"""Pulumi names a resource without an explicit name `<resource name>-<7 random characters>`."""

HOSTNAME_LABEL = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
VOLUME_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$")


@cache
def _label_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """hcloud-go's keyRegexp and valueRegexp, as api-limits.md quotes them verbatim."""
    text = upstream_file(LIMITS_FILE).read_text()
    key, value = re.findall(r"regexp\.MustCompile\(\s*`([^`]+)`\)", text)
    return re.compile(key), re.compile(value)


def label_problems(labels: dict[str, Any]) -> list[str]:
    key_re, value_re = _label_patterns()
    problems = [f"label key {k!r}" for k in labels if not key_re.fullmatch(k)]
    problems += [f"label {k}={v!r}: value" for k, v in labels.items() if not value_re.fullmatch(str(v))]
    return problems


def _limit(name: str) -> int:
    return LIMITS[name][0]


def _physical_name(reg: Registration) -> str:
    return str(reg.plain_inputs.get("name") or f"{reg.name}-{'x' * (AUTONAME_SUFFIX - 1)}")


def limit_problems(run: ProgramRun) -> list[str]:
    hcloud = [r for r in run.resources if r.type.startswith("hcloud:index/")]
    problems = []
    for reg in hcloud:
        problems += [f"{reg.name}: {p}" for p in label_problems(reg.plain_inputs.get("labels") or {})]
    servers = run.of_type("hcloud:index/server:Server")
    for server in servers:
        inputs = server.plain_inputs
        name = str(inputs.get("name") or server.name)
        if len(name) > 253 or not all(HOSTNAME_LABEL.fullmatch(part) for part in name.split(".")):
            problems.append(f"server name {name!r} is not an RFC 1123 hostname")
        if len(inputs.get("firewallIds") or []) > _limit("firewalls per server"):
            problems.append(f"{name}: more than {_limit('firewalls per server')} firewalls")
        if len(inputs.get("networks") or []) > _limit("networks per server"):
            problems.append(f"{name}: more than {_limit('networks per server')} networks")
    per_group = Counter(s.plain_inputs.get("placementGroupId") for s in servers)
    per_group.pop(None, None)
    problems += [
        f"placement group {group}: {count} servers"
        for group, count in per_group.items()
        if count > _limit("servers per spread placement group")
    ]
    for firewall in run.of_type("hcloud:index/firewall:Firewall"):
        if len(firewall.plain_inputs.get("rules") or []) > _limit("rules per firewall"):
            problems.append(f"{firewall.name}: more than {_limit('rules per firewall')} rules")
    subnets = Counter(
        s.plain_inputs["networkId"] for s in run.of_type("hcloud:index/networkSubnet:NetworkSubnet")
    )
    problems += [f"network {n}: {c} subnets" for n, c in subnets.items() if c > _limit("subnets per network")]
    for volume in run.of_type("hcloud:index/volume:Volume"):
        size = volume.plain_inputs["size"]
        if not _limit("volume size min (GB)") <= size <= _limit("volume size max (GB)"):
            problems.append(f"{volume.name}: size {size} GB")
        name = _physical_name(volume)
        if len(name) > _limit("volume name length") or not VOLUME_NAME.fullmatch(name):
            problems.append(f"volume name {name!r}")
    problems += _load_balancer_target_problems(run, servers)
    return problems


def _ingress_target_problems(run: ProgramRun) -> list[str]:
    """The load balancer the CCM creates for Traefik targets every node (no node-selector annotation),
    autoscaled ones included."""
    (traefik,) = [r for r in chart_releases(run) if r.chart == TRAEFIK_CHART]
    annotations = traefik.values["service"]["annotations"]
    if "load-balancer.hetzner.cloud/node-selector" in annotations:
        return []
    lb_type = annotations["load-balancer.hetzner.cloud/type"]
    autoscaled = sum(
        int(group["maxSize"])
        for r in chart_releases(run)
        if r.chart == "cluster-autoscaler"
        for group in r.values["autoscalingGroups"]
    )
    return ingress_target_problems(lb_type, len(k3s_nodes(run)) + autoscaled)


def ingress_target_problems(lb_type: str, nodes: int) -> list[str]:
    limit = LIMITS.get(f"{lb_type} targets")
    if limit is None:
        return [f"ingress load balancer: no documented target limit for {lb_type} in {LIMITS_FILE}"]
    if nodes > limit[0]:
        return [f"ingress load balancer ({lb_type}): {nodes} nodes as targets, at most {limit[0]}"]
    return []


def _load_balancer_target_problems(run: ProgramRun, servers: list[Registration]) -> list[str]:
    """A label-selector target counts every server it selects."""
    problems = _ingress_target_problems(run)
    balancers = {lb.id: lb for lb in run.of_type("hcloud:index/loadBalancer:LoadBalancer")}
    for target in run.of_type("hcloud:index/loadBalancerTarget:LoadBalancerTarget"):
        inputs = target.plain_inputs
        lb = balancers[str(int(inputs["loadBalancerId"]))]
        lb_type = lb.plain_inputs["loadBalancerType"]
        wanted = dict(pair.split("=", 1) for pair in inputs.get("labelSelector", "").split(",") if pair)
        selected = [s for s in servers if wanted.items() <= (s.plain_inputs.get("labels") or {}).items()]
        limit = LIMITS.get(f"{lb_type} targets")
        if limit is None:
            problems.append(f"{lb.name}: no documented target limit for {lb_type} in {LIMITS_FILE}")
        elif len(selected) > limit[0]:
            problems.append(f"{lb.name} ({lb_type}): {len(selected)} targets, at most {limit[0]}")
    return problems


def test_every_limit_is_quoted_from_the_vendored_limits() -> None:
    text = upstream_file(LIMITS_FILE).read_text()
    assert [name for name, (_, quote) in LIMITS.items() if quote not in text] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_respects_the_hetzner_limits(stack: str) -> None:
    run = contract_run(stack)
    assert run.of_type("hcloud:index/server:Server")
    assert limit_problems(run) == []


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"platform/stack": "prod"}, []),
        ({"platform/Stack name": "prod"}, ["label key 'platform/Stack name'"]),
        ({"-bad": "x"}, ["label key '-bad'"]),
        ({"ok": "a" * 64}, [f"label ok={'a' * 64!r}: value"]),
        ({"ok": "with space"}, ["label ok='with space': value"]),
        ({"ok": ""}, []),
    ],
)
def test_label_syntax_is_hcloud_gos(labels: dict[str, str], expected: list[str]) -> None:
    assert label_problems(labels) == expected


def test_a_resource_over_a_limit_is_reported() -> None:
    run = contract_run("prod")
    server = next(iter(run.of_type("hcloud:index/server:Server")))
    volume = next(iter(run.of_type("hcloud:index/volume:Volume")))
    original = (dict(server.inputs), dict(volume.inputs))
    try:
        server.inputs["name"] = "k3s_cp_0"
        server.inputs["firewallIds"] = list(range(6))
        volume.inputs["size"] = 5
        problems = limit_problems(run)
    finally:
        server.inputs.clear()
        server.inputs.update(original[0])
        volume.inputs.clear()
        volume.inputs.update(original[1])
    assert "server name 'k3s_cp_0' is not an RFC 1123 hostname" in problems
    assert "k3s_cp_0: more than 5 firewalls" in problems
    assert f"{volume.name}: size 5 GB" in problems


def test_an_ingress_load_balancer_with_more_nodes_than_targets_is_reported() -> None:
    assert ingress_target_problems("lb11", 25) == []
    assert ingress_target_problems("lb11", 26) == [
        "ingress load balancer (lb11): 26 nodes as targets, at most 25"
    ]
    assert ingress_target_problems("lb31", 3) == [
        f"ingress load balancer: no documented target limit for lb31 in {LIMITS_FILE}"
    ]
