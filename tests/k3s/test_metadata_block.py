"""The metadata block, loaded for real: Debian's iptables runs the rendered script in a network
namespace laid out like a Hetzner node, and only root services of the host get through.

Layout (iproute2 network namespaces, all made and removed by the test):
  cloud  169.254.169.254 serves `userdata` over HTTP; reached from `host` over a veth, as on Hetzner
         where the metadata address is routed, not local (so host traffic goes through OUTPUT only).
  host   the node: runs the rendered platform-block-metadata; forwards for the pod network.
  pod    a pod on the pod network: 10.42.0.5 behind the host's 10.42.0.1, like cni0.
Processes in `host` are placed in cgroup v2 groups named like a systemd host's: `system.slice`
(root services), `kubepods.slice` (a host-network pod). The cgroup2 hierarchy is mounted privately
for each probe (unshare --mount), so no mount outlives it; the groups are removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from offline.program import ProgramRun

from .user_data import k3s_nodes, written_files

SCRIPT_PATH = "/usr/local/sbin/platform-block-metadata"
METADATA = "169.254.169.254"
USER_DATA = "token: K10secret::server:abc\n"
TOOLS = ("ip", "iptables", "setpriv", "unshare", "curl", "dash")
CGROUPS = ("system.slice", "init.scope", "kubepods.slice")
CSI_NODE_GID = 2254
"""Primary group of the hcloud CSI node plugin's pod (components/cluster_addons/hetzner.py METADATA_GID)."""


def _run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=check)


@dataclass(frozen=True)
class Node:
    """The three namespaces; `fetch` asks the metadata service for user-data as someone."""

    host: str
    pod: str
    cloud: str

    def fetch(
        self, netns: str, *, uid: int = 0, gid: int | None = None, cgroup: str = "system.slice"
    ) -> bool:
        """True when GET http://169.254.169.254/userdata returns the user-data from `netns`, run as
        `uid`:`gid` (gid defaults to uid) inside cgroup `cgroup` (a fresh private cgroup2 mount
        places the process there)."""
        probe = (
            'root=$(mktemp -d) && mount -t cgroup2 none "$root" && '
            'echo $$ > "$root/$0/cgroup.procs" && umount "$root" && rmdir "$root" && '
            'exec ip netns exec "$1" setpriv --reuid "$2" --regid "$3" --clear-groups '
            'curl -sf --max-time 3 "http://$4/userdata"'
        )
        group = str(uid if gid is None else gid)
        result = _run(
            "unshare", "--mount", "sh", "-c", probe, cgroup, netns, str(uid), group, METADATA, check=False
        )
        return result.returncode == 0 and result.stdout == USER_DATA


def _cgroups(action: str) -> None:
    script = 'root=$(mktemp -d) && mount -t cgroup2 none "$root" && cd "$root" && '
    script += ("mkdir -p " if action == "create" else "rmdir ") + " ".join(CGROUPS)
    script += '; cd / && umount "$root" && rmdir "$root"'
    _run("unshare", "--mount", "sh", "-c", script, check=action == "create")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        pytest.fail(
            f"needs root and {', '.join(TOOLS)} (missing: {missing or 'none'}): "
            "run scripts/install-debian-tools.sh as root"
        )
    tag = uuid.uuid4().hex[:6]
    node = Node(host=f"md-host-{tag}", pod=f"md-pod-{tag}", cloud=f"md-cloud-{tag}")
    served = tmp_path / "served"
    served.mkdir()
    (served / "userdata").write_text(USER_DATA)
    server: subprocess.Popen[bytes] | None = None
    try:
        for netns in (node.host, node.pod, node.cloud):
            _run("ip", "netns", "add", netns)
        _run("ip", "link", "add", "h0", "netns", node.host, "type", "veth", "peer", "c0", "netns", node.cloud)
        _run(
            "ip", "link", "add", "cni0", "netns", node.host, "type", "veth", "peer", "eth0", "netns", node.pod
        )
        for netns, commands in (
            (
                node.cloud,
                [
                    "ip link set lo up",
                    "ip link set c0 up",
                    "ip addr add 10.99.0.2/24 dev c0",
                    f"ip addr add {METADATA}/32 dev lo",
                    "ip route add 10.42.0.0/24 via 10.99.0.1",
                ],
            ),
            (
                node.host,
                [
                    "ip link set lo up",
                    "ip link set h0 up",
                    "ip link set cni0 up",
                    "ip addr add 10.99.0.1/24 dev h0",
                    "ip addr add 10.42.0.1/24 dev cni0",
                    f"ip route add {METADATA}/32 via 10.99.0.2",
                    "sysctl -qw net.ipv4.ip_forward=1",
                ],
            ),
            (
                node.pod,
                [
                    "ip link set lo up",
                    "ip link set eth0 up",
                    "ip addr add 10.42.0.5/24 dev eth0",
                    "ip route add default via 10.42.0.1",
                ],
            ),
        ):
            for command in commands:
                _run("ip", "netns", "exec", netns, *command.split())
        server = subprocess.Popen(
            ["ip", "netns", "exec", node.cloud, "python3", "-m", "http.server", "--bind", METADATA, "80"],
            cwd=served,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _cgroups("create")
        for _ in range(50):  # the server needs a moment to bind; `fetch` itself times out after 3 s
            if node.fetch(node.host):
                break
        yield node
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        _cgroups("remove")
        for netns in (node.host, node.pod, node.cloud):
            _run("ip", "netns", "del", netns, check=False)


def _rendered_script(run: ProgramRun, tmp_path: Path) -> Path:
    scripts = {written_files(server)[SCRIPT_PATH]["content"] for server in k3s_nodes(run)}
    assert len(scripts) == 1, "every node gets the same metadata block"
    script = tmp_path / "platform-block-metadata"
    script.write_text(scripts.pop())
    return script


def test_only_root_services_on_the_host_reach_the_metadata_service(
    node: Node, prod_run: ProgramRun, tmp_path: Path
) -> None:
    # Without the block everyone gets the user-data: the probes below can succeed.
    assert node.fetch(node.host), "root on the host cannot reach the test metadata service at all"
    assert node.fetch(node.pod)
    assert node.fetch(node.host, uid=65534)
    assert node.fetch(node.host, cgroup="kubepods.slice")

    script = _rendered_script(prod_run, tmp_path)
    loaded = _run("ip", "netns", "exec", node.host, "dash", str(script), check=False)
    assert loaded.returncode == 0, loaded.stderr

    assert node.fetch(node.host), "root services (cloud-init, k3s) must keep their access"
    assert node.fetch(node.host, cgroup="init.scope")
    assert not node.fetch(node.pod), "a pod on the pod network read the user-data"
    assert not node.fetch(node.pod, uid=65534)
    assert not node.fetch(node.host, uid=65534), "a non-root process on the host read the user-data"
    assert not node.fetch(node.host, uid=1000, cgroup="system.slice")
    assert not node.fetch(node.host, cgroup="kubepods.slice"), "a host-network pod (root) read it"
    # The one declared exception: the hcloud CSI node plugin (host network, root, primary group
    # 2254 = components/cluster_addons/hetzner.py METADATA_GID) reads its server id only from the service.
    assert node.fetch(node.host, gid=CSI_NODE_GID, cgroup="kubepods.slice"), "the CSI node plugin is cut off"
    assert not node.fetch(node.host, uid=65534, gid=CSI_NODE_GID, cgroup="kubepods.slice")
    assert not node.fetch(node.pod, gid=CSI_NODE_GID), "the group must not open the pod network"

    # Running it again (a restart of the unit) changes nothing.
    rules = _run("ip", "netns", "exec", node.host, "iptables", "-t", "raw", "-S").stdout
    assert _run("ip", "netns", "exec", node.host, "dash", str(script), check=False).returncode == 0
    assert _run("ip", "netns", "exec", node.host, "iptables", "-t", "raw", "-S").stdout == rules
    assert node.fetch(node.host) and not node.fetch(node.pod)
