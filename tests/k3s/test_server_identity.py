"""Servers and SSH keys across stacks and key rotations (issue 14 item 9).

- Hetzner server names are unique per project, and dev and prod may share one: every name the program
  gives a Hetzner resource carries the stack. The k3s node name is the same name (the hcloud CCM finds a
  node's server by it).
- `ssh_keys` is ForceNew in terraform-provider-hcloud (internal/server/resource.go): a changed
  `sshPublicKeys` would replace every server (and collide on names, or stop at `protect` in prod). The
  servers ignore it after creation; the rotation goes over SSH (README, Day 2).
"""

from __future__ import annotations

from offline.program import ProgramRun
from offline.wire import reveal

from .user_data import k3s_config, k3s_nodes

SERVER = "hcloud:index/server:Server"


def _explicit_names(run: ProgramRun) -> dict[str, str]:
    return {
        r.urn: r.plain_inputs["name"]
        for r in run.resources
        if r.type.startswith("hcloud:") and isinstance(r.plain_inputs.get("name"), str)
    }


def test_every_explicit_hetzner_name_carries_the_stack(dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    dev, prod = _explicit_names(dev_run), _explicit_names(prod_run)
    assert dev and prod
    assert all(name.startswith("dev-") for name in dev.values()), dev
    assert all(name.startswith("prod-") for name in prod.values()), prod
    assert not set(dev.values()) & set(prod.values()), "dev and prod in one Hetzner project collide"


def test_the_k3s_node_name_is_the_hetzner_server_name(prod_run: ProgramRun) -> None:
    for server in k3s_nodes(prod_run):
        assert k3s_config(server)["node-name"] == server.plain_inputs["name"]


def test_a_key_rotation_replaces_no_server(dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    for run in (dev_run, prod_run):
        servers = run.of_type(SERVER)
        assert servers
        for server in servers:
            assert "sshKeys" in server.ignore_changes, f"{server.name}: a new key would replace it"
            assert server.delete_before_replace, f"{server.name}: a replacement would collide on its name"
            assert reveal(server.inputs["sshKeys"]), "new servers still get the keys (no root password)"
