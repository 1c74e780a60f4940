"""The dev and prod programs register the graph a user expects: counts, addresses, placement,
protections, labels, firewall rules, and no secret outside a secret."""

from __future__ import annotations

import json

import pytest

from offline.program import ProgramRun
from offline.wire import mask

from .user_data import k3s_nodes

SERVER = "hcloud:index/server:Server"
FIREWALL = "hcloud:index/firewall:Firewall"
ADMIN = ["203.0.113.0/24"]


def _servers(run: ProgramRun, role: str) -> list[dict]:
    return [s.plain_inputs for s in run.of_type(SERVER) if s.plain_inputs["labels"]["platform/role"] == role]


def test_dev_is_one_server_and_one_agent(dev_run: ProgramRun) -> None:
    servers, agents = _servers(dev_run, "control-plane"), _servers(dev_run, "agent")
    assert [(s["name"], s["serverType"]) for s in servers] == [("dev-k3s-cp-0", "cpx22")]
    assert [(a["name"], a["serverType"]) for a in agents] == [("dev-k3s-general-0", "cpx32")]
    assert not dev_run.of_type("hcloud:index/loadBalancer:LoadBalancer"), "dev needs no API load balancer"


def test_prod_is_three_servers_in_a_spread_group_and_two_agents(prod_run: ProgramRun) -> None:
    servers, agents = _servers(prod_run, "control-plane"), _servers(prod_run, "agent")
    assert len(servers) == 3
    assert len(agents) == 2
    groups = {r.id: r.plain_inputs for r in prod_run.of_type("hcloud:index/placementGroup:PlacementGroup")}
    assert {groups[str(int(s["placementGroupId"]))]["type"] for s in servers} == {"spread"}
    assert len({s["placementGroupId"] for s in servers}) == 1, "all servers share one spread group"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_private_ips_follow_the_plan(stack: str, dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    run = dev_run if stack == "dev" else prod_run
    for index, server in enumerate(sorted(_servers(run, "control-plane"), key=lambda s: s["name"])):
        assert server["networks"][0]["ip"] == f"10.0.1.{11 + index}"
    for index, agent in enumerate(sorted(_servers(run, "agent"), key=lambda s: s["name"])):
        assert agent["networks"][0]["ip"] == f"10.0.16.{10 + index}"


def test_prod_protects_servers_and_ips_dev_does_not(dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    for server in _servers(prod_run, "control-plane"):
        assert server["deleteProtection"] and server["rebuildProtection"]
    for server in _servers(dev_run, "control-plane"):
        assert not server["deleteProtection"]
    for ip in prod_run.of_type("hcloud:index/primaryIp:PrimaryIp"):
        assert ip.plain_inputs["deleteProtection"]


def test_servers_never_get_replaced_for_user_data_or_image(prod_run: ProgramRun) -> None:
    for server in k3s_nodes(prod_run):
        assert set(server.ignore_changes) >= {"userData", "image"}


def test_prod_api_load_balancer_is_private_only(prod_run: ProgramRun) -> None:
    (attachment,) = prod_run.of_type("hcloud:index/loadBalancerNetwork:LoadBalancerNetwork")
    assert attachment.plain_inputs["enablePublicInterface"] is False
    assert attachment.plain_inputs["ip"] == "10.0.1.2"
    (target,) = prod_run.of_type("hcloud:index/loadBalancerTarget:LoadBalancerTarget")
    assert target.plain_inputs["usePrivateIp"] is True


def test_every_server_has_ssh_keys_a_firewall_and_a_network(prod_run: ProgramRun) -> None:
    for server in prod_run.of_type(SERVER):
        inputs = server.plain_inputs
        assert inputs["sshKeys"], server.name
        assert len(inputs["firewallIds"]) == 1, server.name
        assert inputs["networks"][0]["networkId"], server.name


def test_firewalls_admit_only_ssh_api_and_icmp(prod_run: ProgramRun) -> None:
    rules = {fw.name: fw.plain_inputs["rules"] for fw in prod_run.of_type(FIREWALL)}
    open_ports = {
        name: sorted((r["protocol"], r.get("port"), tuple(r["sourceIps"])) for r in fw_rules)
        for name, fw_rules in rules.items()
    }
    world = ("0.0.0.0/0", "::/0")
    assert open_ports["network-control-plane"] == [
        ("icmp", None, world),
        ("tcp", "22", tuple(ADMIN)),
        ("tcp", "6443", tuple(ADMIN)),
    ]
    assert open_ports["network-agents"] == [("icmp", None, world), ("tcp", "22", tuple(ADMIN))]
    assert open_ports["network-database"] == [("icmp", None, world), ("tcp", "22", tuple(ADMIN))]
    for fw_rules in rules.values():
        assert all(r["direction"] == "in" for r in fw_rules)


LABEL_CAPABLE = {
    f"hcloud:index/{name[0].lower()}{name[1:]}:{name}"
    for name in (
        "Certificate",
        "Firewall",
        "FloatingIp",
        "LoadBalancer",
        "ManagedCertificate",
        "Network",
        "PlacementGroup",
        "PrimaryIp",
        "Server",
        "Snapshot",
        "SshKey",
        "StorageBox",
        "StorageBoxSnapshot",
        "StorageBoxSubaccount",
        "UploadedCertificate",
        "Volume",
        "Zone",
        "ZoneRrset",
    )
}
"""hcloud resource types that take `labels` (pulumi-hcloud 1.43.3's resources with a labels input)."""


def test_the_label_capable_list_is_the_providers(prod_run: ProgramRun) -> None:
    """Cross-check against the installed SDK, so a type that gains labels is added above."""
    import inspect

    import pulumi
    import pulumi_hcloud

    exported = {name: getattr(pulumi_hcloud, name) for name in dir(pulumi_hcloud)}  # a lean package
    with_labels = {  # imports its resource modules on first use (offline/lean_imports.py): not vars()
        f"hcloud:index/{name[0].lower()}{name[1:]}:{name}"
        for name, cls in exported.items()
        if inspect.isclass(cls)
        and issubclass(cls, pulumi.CustomResource)
        and "labels" in inspect.signature(cls._internal_init).parameters  # type: ignore[attr-defined]
    }
    assert with_labels == LABEL_CAPABLE


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_hcloud_resource_carries_stack_and_component_labels(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    run = dev_run if stack == "dev" else prod_run
    capable = [r for r in run.resources if r.type in LABEL_CAPABLE]
    kinds = {r.type.rsplit(":", 1)[-1] for r in capable}
    expected = {"Server", "Network", "Firewall", "PrimaryIp", "SshKey", "Volume", "PlacementGroup"}
    assert expected | ({"LoadBalancer"} if stack == "prod" else set()) <= kinds
    for resource in capable:
        labels = resource.plain_inputs.get("labels")
        assert labels, f"{resource.type} {resource.name} has no labels"
        assert labels["platform/stack"] == stack, resource.name
        assert labels["platform/project"] == "platform", resource.name
        assert labels["platform/component"], resource.name


def test_no_secret_value_outside_a_secret(prod_run: ProgramRun) -> None:
    visible = json.dumps([mask(r.inputs) for r in prod_run.resources]) + json.dumps(mask(prod_run.outputs))
    secrets = {v for v in prod_run.secret_values if len(v) >= 16}
    secrets |= {v for v in prod_run.settings.config.values() if v.startswith("offline-stand-in-")}
    assert secrets
    leaked = [s[:12] + "..." for s in secrets if s in visible]
    assert leaked == []


def test_user_data_and_kubeconfig_are_secrets(prod_run: ProgramRun) -> None:
    for server in prod_run.of_type(SERVER):
        assert mask(server.inputs)["userData"] == "[secret]", server.name
    assert mask(prod_run.outputs)["kubeconfig"] == "[secret]"
    assert mask(prod_run.outputs)["apiEndpoint"].startswith("https://")


def test_outputs_list_nodes_with_addresses(prod_run: ProgramRun) -> None:
    nodes = prod_run.outputs["nodes"]
    assert [n["name"] for n in nodes if n["role"] == "control-plane"] == [
        "prod-k3s-cp-0",
        "prod-k3s-cp-1",
        "prod-k3s-cp-2",
    ]
    assert all(n["privateIp"].startswith("10.0.") and n["publicIpv4"] for n in nodes)
    assert len(prod_run.outputs["apiEndpoints"]) == 3
