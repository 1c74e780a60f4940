"""Every key of every k3s config file the nodes get is a flag of the pinned k3s (`k3s server` on servers,
`k3s agent` on agents), read from the vendored flag lists of that release. k3s refuses to start on an
unknown key, so a renamed or removed flag would stop every node's first boot."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import versions
from tests.contracts.runs import STACKS, contract_run
from tests.k3s.user_data import k3s_nodes, written_files
from tests.upstream_data import upstream_file

CONFIG = "/etc/rancher/k3s/config.yaml"
INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / "components" / "k3s" / "files" / "platform-install-k3s"


@cache
def k3s_flags(role: str, k3s_version: str = versions.K3S_VERSION) -> frozenset[str]:
    """Names and aliases of `k3s server` (role server) or `k3s agent` flags at a release."""
    listing = upstream_file(f"k3s/{k3s_version}/{role}-flags.txt").read_text()
    names: set[str] = set()
    for line in listing.splitlines():
        if line.startswith("#") or line.startswith("name\t") or not line.strip():
            continue
        name, aliases, *_ = line.split("\t")
        names.add(name)
        names |= {a for a in aliases.split(",") if a}
    return frozenset(names)


def unknown_keys(config: dict[str, Any], role: str, k3s_version: str = versions.K3S_VERSION) -> list[str]:
    # A key may end in `+` to append to a list set elsewhere (k3s config file docs).
    return sorted(k for k in config if k.removesuffix("+") not in k3s_flags(role, k3s_version))


def drop_in_keys(script: str) -> dict[str, list[str]]:
    """config.yaml.d file -> keys, for every `printf '<yaml>' ... > <file>` of platform-install-k3s that
    writes into config.yaml.d (directly or through a variable assigned such a path)."""
    variables = dict(re.findall(r'^\s*(\w+)="?([^"\n]*config\.yaml\.d/[^"\n]*)"?$', script, re.MULTILINE))
    found = {}
    for template, target in re.findall(r"printf '([^']*)'[^>\n]*> \"?([^\"\s]+)\"?", script):
        path = variables.get(target.removeprefix("$").strip("{}"), target)
        if "config.yaml.d/" in path:
            found[path.rsplit("/", 1)[1]] = [line.split(":", 1)[0] for line in template.split("\\n") if line]
    return found


def _configs() -> dict[str, tuple[str, dict[str, Any]]]:
    """`stack/node` -> (role, config.yaml)."""
    found = {}
    for stack in STACKS[:2]:
        for node in k3s_nodes(contract_run(stack)):
            role = "server" if node.plain_inputs["labels"]["platform/role"] == "control-plane" else "agent"
            found[f"{stack}/{node.name}"] = (role, yaml.safe_load(written_files(node)[CONFIG]["content"]))
    return found


CONFIGS = _configs()


@pytest.mark.parametrize("node", sorted(CONFIGS))
def test_every_config_key_is_a_flag_of_the_pinned_k3s(node: str) -> None:
    role, config = CONFIGS[node]
    assert config, f"{node} has an empty config.yaml"
    assert unknown_keys(config, role) == []


def test_every_drop_in_written_at_boot_holds_flags_of_its_role() -> None:
    drop_ins = drop_in_keys(INSTALL_SCRIPT.read_text())
    assert drop_ins["20-private-network.yaml"] == ["flannel-iface", "node-ip"]
    for role in ("server", "agent"):
        assert unknown_keys(dict.fromkeys(drop_ins["20-private-network.yaml"]), role) == []
    # Only a server's first boot initialises the cluster.
    assert unknown_keys(dict.fromkeys(drop_ins["10-initialise-cluster.yaml"]), "server") == []


def test_a_drop_in_written_through_a_variable_is_found() -> None:
    script = 'd="$c/config.yaml.d/30-x.yaml"\nprintf \'node-labels: %s\\n\' "$v" > "$d"\n'
    assert drop_in_keys(script) == {"30-x.yaml": ["node-labels"]}
    assert unknown_keys({"node-labels": []}, "agent") == ["node-labels"]


def test_an_unknown_or_role_foreign_key_is_reported() -> None:
    assert unknown_keys({"cluster-init": True, "tls-sans": ["x"]}, "server") == ["tls-sans"]
    assert unknown_keys({"cluster-init": True, "node-label+": ["a=b"]}, "agent") == ["cluster-init"]


def test_a_flag_added_in_the_pinned_release_is_known_only_there() -> None:
    assert unknown_keys({"helm-controller-arg": ["x"]}, "server") == []
    assert unknown_keys({"helm-controller-arg": ["x"]}, "server", "v1.34.1+k3s1") == ["helm-controller-arg"]
