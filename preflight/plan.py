"""What a stack would ask of its Hetzner project, learnt by running the real program offline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config.stack import StackConfig
from components.naming import LABEL_PREFIX
from offline.program import PROJECT_DIR, ProgramRun, run_program
from offline.stack_file import stack_config

COLLECTIONS = {
    "hcloud:index/server:Server": "servers",
    "hcloud:index/primaryIp:PrimaryIp": "primary_ips",
    "hcloud:index/loadBalancer:LoadBalancer": "load_balancers",
    "hcloud:index/network:Network": "networks",
    "hcloud:index/firewall:Firewall": "firewalls",
    "hcloud:index/placementGroup:PlacementGroup": "placement_groups",
    "hcloud:index/volume:Volume": "volumes",
    "hcloud:index/sshKey:SshKey": "ssh_keys",
}
"""hcloud resource types of the program, and the API collection each lives in."""


@dataclass(frozen=True)
class NamedResource:
    collection: str
    name: str


@dataclass(frozen=True)
class StackPlan:
    """Everything the preflight asks the API about, for one stack."""

    project: str
    stack: str
    location: str
    server_types: dict[str, tuple[str, ...]]
    """Each server type the stack orders, with the config keys that choose it."""
    images: tuple[str, ...]
    load_balancer_types: tuple[str, ...]
    ssh_public_keys: tuple[str, ...]
    named: tuple[NamedResource, ...]
    """Resources the program names explicitly: a name Hetzner already has fails the create."""
    servers_per_placement_group: tuple[int, ...]
    placement_groups: int
    s3_endpoints: tuple[tuple[str, str], ...]
    """(what it is for, endpoint host) for every S3 bucket endpoint the stack writes to."""

    @property
    def labels(self) -> dict[str, str]:
        return {f"{LABEL_PREFIX}/project": self.project, f"{LABEL_PREFIX}/stack": self.stack}


def _s3_endpoints(config: StackConfig) -> list[tuple[str, str]]:
    endpoints = []
    if config.postgres.mode == "vm":
        endpoints.append(("database backups (postgres.backup)", config.postgres.backup.s3_endpoint))
    if config.cluster.etcd_backup.offsite_enabled(config.is_prod):
        endpoints.append(("etcd snapshots (cluster.etcdBackup)", config.cluster.etcd_backup.s3_endpoint))
    if config.object_store.mode == "hetzner":
        endpoints.append(
            ("object store (objectStore)", config.object_store.hetzner_endpoint(config.location))
        )
    return endpoints


def _server_types(config: StackConfig, servers: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    keys: dict[str, list[str]] = {}
    for key, server_type in config.server_type_settings():
        keys.setdefault(server_type, []).append(key)
    for server in servers:
        keys.setdefault(server["serverType"], ["(a server of the program)"])
    return {server_type: tuple(where) for server_type, where in sorted(keys.items())}


def plan_from_run(run: ProgramRun) -> StackPlan:
    config = stack_config(run.settings)
    servers = [r.plain_inputs for r in run.of_type("hcloud:index/server:Server")]
    balancers = [r.plain_inputs for r in run.of_type("hcloud:index/loadBalancer:LoadBalancer")]
    named = [
        NamedResource(collection, str(name))
        for r in run.resources
        if (collection := COLLECTIONS.get(r.type)) and (name := r.plain("name"))
    ]
    groups = Counter(s["placementGroupId"] for s in servers if s.get("placementGroupId") is not None)
    keys: list[Any] = [r.plain("publicKey") for r in run.of_type("hcloud:index/sshKey:SshKey")]
    return StackPlan(
        project=run.settings.project,
        stack=run.settings.stack,
        location=config.location,
        server_types=_server_types(config, servers),
        images=tuple(sorted({s["image"] for s in servers})),
        load_balancer_types=tuple(sorted({b["loadBalancerType"] for b in balancers})),
        ssh_public_keys=tuple(dict.fromkeys([*config.ssh_public_keys, *filter(None, keys)])),
        named=tuple(sorted(set(named), key=lambda n: (n.collection, n.name))),
        servers_per_placement_group=tuple(sorted(groups.values(), reverse=True)),
        placement_groups=len(run.of_type("hcloud:index/placementGroup:PlacementGroup")),
        s3_endpoints=tuple(_s3_endpoints(config)),
    )


def plan_stack(
    stack: str, overrides: Mapping[str, Any] | None = None, project_dir: Path = PROJECT_DIR
) -> StackPlan:
    """Run the program for `stack` offline (stand-ins for secrets) and read off what it would create."""
    return plan_from_run(run_program(stack, project_dir, overrides))
