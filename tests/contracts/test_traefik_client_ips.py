"""Traefik honours the PROXY header of every connection the load balancer hands it: the address Traefik
sees as the peer lies inside its trusted ranges. Which address that is follows from the Service's
externalTrafficPolicy (Kubernetes Service docs): with `Local` kube-proxy delivers the connection
unchanged, so the peer is the load balancer's private address (in the private network); with `Cluster`
it masquerades it to the receiving node's own pod-network address (in the cluster CIDR). Traefik ignores
the header of any peer outside `trustedIPs` (pkg/server/server_entrypoint_tcp.go), and then logs and
rate-limits per node instead of per client."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml

from tests.contracts.charts import TRAEFIK_CHART, chart_releases, lookup
from tests.contracts.runs import STACKS, contract_run
from tests.contracts.test_chart_values import merged_values
from tests.k3s.user_data import k3s_config, k3s_nodes

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def peer_ranges(policy: str, *, network_cidr: str, cluster_cidr: str) -> list[Network]:
    """Where the connections Traefik receives from the load balancer come from, per traffic policy."""
    if policy == "Local":
        return [ipaddress.ip_network(network_cidr)]
    return [ipaddress.ip_network(cluster_cidr)]


def untrusted_peers(values: dict[str, Any], *, network_cidr: str, cluster_cidr: str) -> list[str]:
    policy = lookup(values, ("service", "spec", "externalTrafficPolicy"))[1] or "Cluster"
    problems = []
    for entry_point in ("web", "websecure"):
        for setting in ("proxyProtocol", "forwardedHeaders"):
            trusted = [
                ipaddress.ip_network(c)
                for c in lookup(values, ("ports", entry_point, setting, "trustedIPs"))[1] or []
            ]
            for peer in peer_ranges(policy, network_cidr=network_cidr, cluster_cidr=cluster_cidr):
                if not any(peer.version == t.version and peer.subnet_of(t) for t in trusted):  # type: ignore[arg-type]
                    problems.append(f"{entry_point}.{setting}: {policy} peers {peer} not in {trusted}")
    return problems


def _stack(stack: str) -> tuple[dict[str, Any], str, str]:
    run = contract_run(stack)
    (release,) = [r for r in chart_releases(run) if r.chart == TRAEFIK_CHART]
    (network,) = run.of_type("hcloud:index/network:Network")
    cluster_cidr = k3s_config(k3s_nodes(run)[0])["cluster-cidr"]
    return merged_values(release), network.plain_inputs["ipRange"], cluster_cidr


@pytest.mark.parametrize("stack", STACKS[:2])
def test_every_peer_of_traefik_is_trusted_for_proxy_protocol(stack: str) -> None:
    values, network_cidr, cluster_cidr = _stack(stack)
    assert (
        lookup(values, ("service", "annotations", "load-balancer.hetzner.cloud/uses-proxyprotocol"))[1]
        == "true"
    )
    assert untrusted_peers(values, network_cidr=network_cidr, cluster_cidr=cluster_cidr) == []


PREVIOUS_VALUES = yaml.safe_load(
    """
service: {spec: {externalTrafficPolicy: Cluster}}
ports:
  web: {proxyProtocol: {trustedIPs: [10.0.0.0/16]}, forwardedHeaders: {trustedIPs: [10.0.0.0/16]}}
  websecure: {proxyProtocol: {trustedIPs: [10.0.0.0/16]}, forwardedHeaders: {trustedIPs: [10.0.0.0/16]}}
"""
)


def test_the_previous_cluster_policy_with_private_network_trust_is_caught() -> None:
    problems = untrusted_peers(PREVIOUS_VALUES, network_cidr="10.0.0.0/16", cluster_cidr="10.42.0.0/16")
    assert len(problems) == 4
    assert problems[0] == (
        "web.proxyProtocol: Cluster peers 10.42.0.0/16 not in [IPv4Network('10.0.0.0/16')]"
    )
    wide = {
        "ports": {
            ep: {s: {"trustedIPs": ["10.0.0.0/8"]} for s in ("proxyProtocol", "forwardedHeaders")}
            for ep in ("web", "websecure")
        }
    }
    assert untrusted_peers(wide, network_cidr="10.0.0.0/16", cluster_cidr="10.42.0.0/16") == []
