"""cloud-init user-data of a k3s node: hardening, day-2 timers, the k3s config, and (first server) CAs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml

from .. import versions
from ..cloud_init import CloudConfig, WriteFile
from .node_config import AUDIT_POLICY, PSA_CONFIG

FILES = Path(__file__).parent / "files"
K3S_CONFIG_PATH = "/etc/rancher/k3s/config.yaml"
K3S_ENV_PATH = "/etc/platform/k3s.env"
ETCD_BACKUP_ENV_PATH = "/etc/platform/etcd-backup.env"

SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-platform.conf"
"""sshd keeps the first value it reads for a keyword, and Debian's sshd_config includes the drop-ins
in name order before its own settings; `00-` sorts before cloud-init's `50-cloud-init.conf`, so the
hardening wins over whatever cloud-init or vendor-data writes there."""

CaFile = tuple[str, pulumi.Output[str], str]


def _host_files() -> list[WriteFile]:
    """Files every node gets: kernel settings, sshd hardening, the metadata block and the installer."""
    return [
        WriteFile.from_file(FILES / "90-kubelet.conf", "/etc/sysctl.d/90-kubelet.conf"),
        WriteFile.from_file(FILES / "sshd-hardening.conf", SSHD_DROP_IN),
        WriteFile.from_file(
            FILES / "platform-block-metadata", "/usr/local/sbin/platform-block-metadata", "0755"
        ),
        WriteFile.from_file(
            FILES / "platform-block-metadata.service",
            "/etc/systemd/system/platform-block-metadata.service",
        ),
        WriteFile.from_file(FILES / "platform-install-k3s", "/usr/local/sbin/platform-install-k3s", "0700"),
    ]


def _day2_files(boot: NodeBoot) -> list[WriteFile]:
    """Certificate renewal on every node; unattended security updates unless turned off."""
    files = [
        WriteFile.from_file(
            FILES / "platform-k3s-cert-renew", "/usr/local/sbin/platform-k3s-cert-renew", "0755"
        ),
        WriteFile.from_file(
            FILES / "platform-k3s-cert-renew.service", "/etc/systemd/system/platform-k3s-cert-renew.service"
        ),
        WriteFile.from_file(
            FILES / "platform-k3s-cert-renew.timer", "/etc/systemd/system/platform-k3s-cert-renew.timer"
        ),
    ]
    if boot.os_updates:
        files += [
            WriteFile.from_file(FILES / "20auto-upgrades", "/etc/apt/apt.conf.d/20auto-upgrades"),
            WriteFile.from_file(
                FILES / "52-platform-unattended-upgrades",
                "/etc/apt/apt.conf.d/52platform-unattended-upgrades",
            ),
        ]
    return files


def _server_files(boot: NodeBoot) -> list[WriteFile]:
    files = [
        WriteFile.from_file(FILES / "audit-policy.yaml", AUDIT_POLICY, "0600"),
        WriteFile.from_file(FILES / "psa.yaml", PSA_CONFIG, "0600"),
        WriteFile.from_file(FILES / "platform-etcd-restore", "/usr/local/sbin/platform-etcd-restore", "0700"),
    ]
    if boot.etcd_backup_env is not None:
        files.append(WriteFile(ETCD_BACKUP_ENV_PATH, boot.etcd_backup_env, "0644"))
    return files


RUNCMD = [
    ["sysctl", "--system"],
    ["systemctl", "restart", "ssh"],
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", "platform-block-metadata.service"],
    ["/usr/local/sbin/platform-install-k3s"],
    ["systemctl", "enable", "--now", "platform-k3s-cert-renew.timer"],
]
"""Order matters: the metadata block is in place before k3s (and so any pod) starts."""


@dataclass(frozen=True)
class NodeBoot:
    """What a node needs at first boot besides its k3s config."""

    role: str
    """server | agent"""
    k3s_version: str
    private_network: str
    private_ip: str | None = None
    """Fixed private address; None for autoscaled nodes (found at boot inside private_network)."""
    cert_renew_slot: int = 0
    cert_renew_slots: int = 1
    """Servers take turns restarting for certificate renewal (see files/platform-k3s-cert-renew)."""
    os_updates: bool = True
    etcd_backup_env: str | None = None
    """Contents of /etc/platform/etcd-backup.env on servers (non-secret S3 location for restores)."""
    k3s_binary_sha256: dict[str, str] = field(default_factory=dict)
    """sha256 of the k3s binary per architecture (amd64, arm64); the installer refuses any other."""
    init_peers: tuple[str, ...] = ()
    """First server of an HA cluster: the other servers' https://<ip>:6443. It initialises etcd only
    when none of them answers with the cluster's CA (files/platform-install-k3s)."""

    def env(self) -> str:
        values = {
            "K3S_VERSION": self.k3s_version,
            "K3S_ROLE": self.role,
            "PRIVATE_IP": self.private_ip or "",
            "PRIVATE_NETWORK": self.private_network,
            "CERT_RENEW_SLOT": str(self.cert_renew_slot),
            "CERT_RENEW_SLOTS": str(self.cert_renew_slots),
            "K3S_INSTALLER_COMMIT": versions.K3S_INSTALLER_COMMIT,
            "K3S_INSTALLER_SHA256": versions.K3S_INSTALLER_SHA256,
            "K3S_SHA256_AMD64": self.k3s_binary_sha256.get("amd64", ""),
            "K3S_SHA256_ARM64": self.k3s_binary_sha256.get("arm64", ""),
            "K3S_INIT_PEERS": f'"{" ".join(self.init_peers)}"',
        }
        return "".join(f"{key}={value}\n" for key, value in values.items())


def render_node_user_data(
    boot: NodeBoot, k3s_config: dict[str, Any], ca_files: list[tuple[str, str, str]]
) -> str:
    """The complete #cloud-config document for one node (plain values; the caller keeps it secret)."""
    files = [
        *_host_files(),
        *_day2_files(boot),
        *(_server_files(boot) if boot.role == "server" else []),
        WriteFile(K3S_ENV_PATH, boot.env(), "0644"),
        WriteFile(K3S_CONFIG_PATH, yaml.safe_dump(k3s_config, sort_keys=False), "0600"),
        *(WriteFile(path, content, mode) for path, content, mode in ca_files),
    ]
    packages = ["iptables", "curl", "ca-certificates", "openssl"]
    if boot.os_updates:
        packages.append("unattended-upgrades")
    # ssh_pwauth: false makes cloud-init itself write `PasswordAuthentication no`, so no layer says yes.
    return CloudConfig(
        write_files=files, packages=packages, runcmd=RUNCMD, extra={"ssh_pwauth": False}
    ).render()


def node_user_data(
    boot: NodeBoot, k3s_config: pulumi.Output[dict[str, Any]], ca_files: list[CaFile]
) -> pulumi.Output[str]:
    """render_node_user_data over Outputs; the result is a Pulumi secret (it holds tokens and keys)."""
    contents = pulumi.Output.all(*[content for _, content, _ in ca_files])

    def render(args: list[Any]) -> str:
        config, ca_contents = args
        files = [(path, text, mode) for (path, _, mode), text in zip(ca_files, ca_contents, strict=True)]
        return render_node_user_data(boot, config, files)

    return pulumi.Output.secret(pulumi.Output.all(k3s_config, contents).apply(render))
