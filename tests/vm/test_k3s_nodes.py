"""A k3s server and an agent, up to k3s: their rendered user-data booted under cloud-init in two VMs.

No k3s binary is built on this machine (the control-plane build makes kube-apiserver, not k3s), so
the k3s installer is a recording stand-in, served over HTTPS from the host's loopback under the name
and path the rendered platform-install-k3s downloads it from. The stand-in records how it was called
and the state of the node at that moment (the metadata block, the kernel settings, the k3s config),
which is what these tests check; k3s itself does not start.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest

from components import versions
from offline.program import run_program

from .environment import Environment
from .guest_agent import Completed
from .image import vm_image
from .machine import PRIVATE_MAC, GuestService, Machine, MachineSpec
from .rendered import RenderedServer, file_content, rendered_server, servers_with_role
from .services import FileServer, TestCa

pytestmark = pytest.mark.slow

INSTALL_SCRIPT = "/usr/local/sbin/platform-install-k3s"
RECORD = "/var/log/vmtest-k3s-installer"
DOWNLOADS = GuestService("198.51.100.81", 443, 0)
APT = GuestService("198.51.100.80", 80, 0)
STAND_IN = f"""#!/bin/sh
# vmtest recording stand-in for the k3s installer: records how it was called and the node's state.
set -u
mkdir -p {RECORD}
{{ echo "args=$*"; env | grep '^INSTALL_K3S_' | sort; }} >{RECORD}/call
iptables -t raw -S PREROUTING >{RECORD}/raw-prerouting 2>&1
systemctl is-active platform-block-metadata.service >{RECORD}/block-metadata-active 2>&1
sysctl vm.panic_on_oom vm.overcommit_memory kernel.panic kernel.panic_on_oops >{RECORD}/sysctl 2>&1
cp -a /etc/rancher/k3s {RECORD}/rancher-k3s
"""


def installer_url(server: RenderedServer) -> str:
    """Where the rendered platform-install-k3s downloads the installer from, for this node's version."""
    script = server.file(INSTALL_SCRIPT)
    match = re.search(r'"(https://[^"]+/install\.sh)"', script)
    assert match, "platform-install-k3s no longer downloads an install.sh over HTTPS"
    return match.group(1).replace("${K3S_VERSION}", versions.K3S_VERSION)


@dataclass
class Node:
    machine: Machine
    server: RenderedServer
    role: str
    status: Completed | None = None

    def record(self, name: str) -> str:
        return self.machine.run(f"cat {RECORD}/{name}").check().stdout


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    run = run_program("dev")
    (server,) = servers_with_role(run, "control-plane")
    agent = servers_with_role(run, "agent")[0]
    rendered = {"server": rendered_server(run, server), "agent": rendered_server(run, agent)}
    url = urlparse(installer_url(rendered["server"]))
    assert url.hostname
    workdir = tmp_path_factory.mktemp("k3s")
    image = vm_image()
    ca = TestCa()
    tls = ca.issue([url.hostname], workdir / "tls")
    with contextlib.ExitStack() as stack:
        apt = FileServer(folder=image.repository)
        stack.callback(apt.close)
        downloads = FileServer(routes={url.path: STAND_IN.encode}, tls=tls)
        stack.callback(downloads.close)
        environment = Environment(
            apt_source=f"deb [trusted=yes] http://{APT.guest_ip}/ ./",
            ca_pem=ca.pem,
            hosts={url.hostname: DOWNLOADS.guest_ip},
        )
        started: dict[str, Node] = {}
        for role, rendered_node in rendered.items():
            spec = MachineSpec(
                name=rendered_node.name,
                user_data=rendered_node.user_data,
                private_ip=rendered_node.private_ip,
                private_network=rendered_node.private_network,
                environment=environment.tar(),
                guest_services=[
                    GuestService(APT.guest_ip, APT.guest_port, apt.port),
                    GuestService(DOWNLOADS.guest_ip, DOWNLOADS.guest_port, downloads.port),
                ],
            )
            machine = Machine(image, spec, workdir / role)
            stack.callback(machine.stop)
            started[role] = Node(machine.start(), rendered_node, role)

        def wait(node: Node) -> None:
            node.status = node.machine.wait_for_cloud_init()

        threads = [threading.Thread(target=wait, args=(node,)) for node in started.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for node in started.values():
            assert node.status is not None, f"{node.role}: cloud-init did not finish"
            log = node.machine.run("tail -n 40 /var/log/cloud-init-output.log").stdout
            assert node.status.returncode == 0, f"{node.role}: {node.status.stdout}\n{log}"
        # Each node fetched the installer once, over HTTPS verified against the test CA, from the host.
        assert sum(path == url.path for _, path in downloads.requests) == len(started)
        yield started


@pytest.mark.parametrize("role", ["server", "agent"])
def test_installer_is_called_with_the_pinned_version_and_role(nodes: dict[str, Node], role: str) -> None:
    call = nodes[role].record("call").splitlines()
    assert f"INSTALL_K3S_VERSION={versions.K3S_VERSION}" in call
    assert f"INSTALL_K3S_EXEC={role}" in call


@pytest.mark.parametrize("role", ["server", "agent"])
def test_metadata_block_is_active_before_k3s_is_installed(nodes: dict[str, Node], role: str) -> None:
    assert nodes[role].record("block-metadata-active") == "active\n"
    assert "-A PREROUTING -d 169.254.169.254/32 -j DROP" in nodes[role].record("raw-prerouting")


@pytest.mark.parametrize("role", ["server", "agent"])
def test_kernel_settings_protect_kernel_defaults_needs_are_set(nodes: dict[str, Node], role: str) -> None:
    rendered = nodes[role].server.file("/etc/sysctl.d/90-kubelet.conf")
    wanted = {
        key.strip(): value.strip()
        for key, value in (line.split("=", 1) for line in rendered.splitlines() if "=" in line)
        if not key.startswith("#")
    }
    assert wanted, "90-kubelet.conf sets nothing"
    live = dict(line.split(" = ", 1) for line in nodes[role].record("sysctl").splitlines())
    assert live == wanted


@pytest.mark.parametrize("role", ["server", "agent"])
def test_private_interface_is_found_and_written_as_node_ip_and_flannel_iface(
    nodes: dict[str, Node], role: str
) -> None:
    node = nodes[role]
    links = node.machine.run("ip -o link show").check().stdout
    (private_iface,) = [
        line.split(": ")[1].split("@")[0] for line in links.splitlines() if PRIVATE_MAC in line
    ]
    written = node.record("rancher-k3s/config.yaml.d/20-private-network.yaml")
    assert written == f"flannel-iface: {private_iface}\nnode-ip: {node.server.private_ip}\n"


@pytest.mark.parametrize("role", ["server", "agent"])
def test_every_written_file_has_its_mode_owner_and_content(nodes: dict[str, Node], role: str) -> None:
    node = nodes[role]
    for path, entry in node.server.files().items():
        stat = node.machine.run(f"stat -c '%a %U:%G' {path}").check().stdout.strip()
        assert stat == f"{int(entry['permissions'], 8):o} {entry['owner']}", path
        on_disk = node.machine.run(f"sha256sum {path}").check().stdout.split()[0]
        assert on_disk == hashlib.sha256(file_content(entry).encode()).hexdigest(), path
