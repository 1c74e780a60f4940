"""A k3s server and an agent, up to k3s: their rendered user-data booted under cloud-init in two VMs.

No k3s binary is built on this machine (the control-plane build makes kube-apiserver, not k3s), and
the k3s installer is not available offline, so k3s does not start here. The host serves, over HTTPS
on its loopback and under the names and paths the rendered platform-install-k3s downloads from, a
recording stand-in for the installer and a stand-in k3s binary:
1. First boot, user-data exactly as rendered: platform-install-k3s downloads the stand-in installer
   and refuses it, because its sha256 is not the pinned one (the check is real).
2. Then the test runs platform-install-k3s once more in the guest with one change, the two pinned
   digests set to the stand-ins' (through its PLATFORM_ENV override): both downloads verify, the
   stand-in k3s lands in /usr/local/bin, and the stand-in installer records how it was called and the
   node's state at that moment (metadata block, kernel settings, k3s config).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from components import versions
from offline.program import run_program

from .environment import Environment
from .guest_agent import Completed
from .image import vm_image
from .machine import PRIVATE_MAC, GuestService, Machine, MachineSpec
from .rendered import RenderedServer, file_content, rendered_server, servers_with_role
from .services import FileServer, ServicesCa

pytestmark = [pytest.mark.slow, pytest.mark.vm]

INSTALL_SCRIPT = "/usr/local/sbin/platform-install-k3s"
K3S_ENV = "/etc/platform/k3s.env"
RECORD = "/var/log/vmtest-k3s-installer"
DOWNLOADS = GuestService("198.51.100.81", 443, 0)
APT = GuestService("198.51.100.80", 80, 0)
STAND_IN_INSTALLER = f"""#!/bin/sh
# vmtest recording stand-in for the k3s installer: records how it was called and the node's state.
set -u
mkdir -p {RECORD}
{{ echo "args=$*"; env | grep '^INSTALL_K3S_' | sort; }} >{RECORD}/call
iptables -t raw -S >{RECORD}/raw-table 2>&1
systemctl is-active platform-block-metadata.service >{RECORD}/block-metadata-active 2>&1
sysctl vm.panic_on_oom vm.overcommit_memory kernel.panic kernel.panic_on_oops >{RECORD}/sysctl 2>&1
cp -a /etc/rancher/k3s {RECORD}/rancher-k3s
""".encode()
STAND_IN_K3S = b"#!/bin/sh\n# vmtest stand-in for the k3s binary\necho 'k3s version stand-in'\n"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_hosts(server: RenderedServer) -> set[str]:
    """The hosts the rendered platform-install-k3s downloads from over HTTPS."""
    hosts = set(re.findall(r"https://([A-Za-z0-9.-]+)/", server.file(INSTALL_SCRIPT)))
    assert hosts, "platform-install-k3s no longer downloads anything over HTTPS"
    return hosts


def _stand_in(path: str) -> bytes:
    """The installer for .../install.sh, the binary for .../k3s (routes by the file name)."""
    if path.endswith("/install.sh"):
        return STAND_IN_INSTALLER
    if path.endswith("/k3s"):
        return STAND_IN_K3S
    raise KeyError(path)


@dataclass
class Node:
    machine: Machine
    server: RenderedServer
    role: str
    first_boot: Completed | None = None
    k3s_after_first_boot: bool = False
    installer_ran_on_first_boot: bool = False
    rerun: Completed | None = None

    def record(self, name: str) -> str:
        return self.machine.run(f"cat {RECORD}/{name}").check().stdout

    def cloud_init_log(self) -> str:
        return self.machine.run("cat /var/log/cloud-init-output.log").check().stdout


def _rerun_with_stand_in_digests(node: Node) -> Completed:
    """platform-install-k3s again, with the pinned digests replaced by the stand-ins' (nothing else)."""
    env = node.server.file(K3S_ENV)
    changed = re.sub(
        r"^K3S_INSTALLER_SHA256=.*$", f"K3S_INSTALLER_SHA256={digest(STAND_IN_INSTALLER)}", env, flags=re.M
    )
    changed = re.sub(
        r"^K3S_SHA256_AMD64=.*$", f"K3S_SHA256_AMD64={digest(STAND_IN_K3S)}", changed, flags=re.M
    )
    assert changed.count("\n") == env.count("\n") and changed != env
    node.machine.run(f"cat >/root/k3s-stand-in.env <<'EOF'\n{changed}EOF").check()
    return node.machine.run(f"PLATFORM_ENV=/root/k3s-stand-in.env {INSTALL_SCRIPT}", timeout=900)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    run = run_program("dev")
    (server,) = servers_with_role(run, "control-plane")
    agent = servers_with_role(run, "agent")[0]
    rendered = {"server": rendered_server(run, server), "agent": rendered_server(run, agent)}
    hosts = download_hosts(rendered["server"])
    workdir = tmp_path_factory.mktemp("k3s")
    image = vm_image()
    ca = ServicesCa()
    tls = ca.issue(sorted(hosts), workdir / "tls")
    with contextlib.ExitStack() as stack:
        apt = FileServer(folder=image.repository)
        stack.callback(apt.close)
        downloads = FileServer(fallback=_stand_in, tls=tls)
        stack.callback(downloads.close)
        environment = Environment(
            apt_source=f"deb [trusted=yes] http://{APT.guest_ip}/ ./",
            ca_pem=ca.pem,
            hosts=dict.fromkeys(hosts, DOWNLOADS.guest_ip),
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

        def boot(node: Node) -> None:
            node.first_boot = node.machine.wait_for_cloud_init()
            node.k3s_after_first_boot = node.machine.run("test -e /usr/local/bin/k3s").returncode == 0
            node.installer_ran_on_first_boot = node.machine.run(f"test -e {RECORD}").returncode == 0
            node.rerun = _rerun_with_stand_in_digests(node)

        threads = [threading.Thread(target=boot, args=(node,)) for node in started.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for node in started.values():
            assert node.rerun is not None, f"{node.role}: did not boot (see the log above)"
        yield started


@pytest.mark.parametrize("role", ["server", "agent"])
def test_first_boot_refuses_an_installer_whose_sha256_is_not_the_pinned_one(
    nodes: dict[str, Node], role: str
) -> None:
    node = nodes[role]
    refusal = f"its sha256 is {digest(STAND_IN_INSTALLER)}, the pinned one is {versions.K3S_INSTALLER_SHA256}"
    assert refusal in node.cloud_init_log()
    assert not node.installer_ran_on_first_boot
    assert not node.k3s_after_first_boot


@pytest.mark.parametrize("role", ["server", "agent"])
def test_verified_downloads_install_the_binary_and_call_the_installer(
    nodes: dict[str, Node], role: str
) -> None:
    node = nodes[role]
    assert node.rerun is not None and node.rerun.returncode == 0, node.rerun
    installed = node.machine.run("sha256sum /usr/local/bin/k3s").check().stdout.split()[0]
    assert installed == digest(STAND_IN_K3S)
    call = node.record("call").splitlines()
    assert f"INSTALL_K3S_VERSION={versions.K3S_VERSION}" in call
    assert f"INSTALL_K3S_EXEC={role}" in call
    assert "INSTALL_K3S_SKIP_DOWNLOAD=true" in call  # the installer downloads nothing itself


@pytest.mark.parametrize("role", ["server", "agent"])
def test_metadata_block_is_active_before_k3s_is_installed(nodes: dict[str, Node], role: str) -> None:
    assert nodes[role].record("block-metadata-active") == "active\n"
    rules = nodes[role].record("raw-table").splitlines()
    assert "-A PREROUTING -d 169.254.169.254/32 -j DROP" in rules
    assert "-A OUTPUT -d 169.254.169.254/32 -j PLATFORM-METADATA" in rules
    assert rules[-1] == "-A PLATFORM-METADATA -j DROP", rules


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
