"""cloud-init user-data of a k3s node: hardening files, the k3s config, and (first server only) CAs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import yaml

from ..cloud_init import CloudConfig, WriteFile
from .node_config import AUDIT_POLICY, PSA_CONFIG

FILES = Path(__file__).parent / "files"
K3S_CONFIG_PATH = "/etc/rancher/k3s/config.yaml"
K3S_ENV_PATH = "/etc/platform/k3s.env"

CaFile = tuple[str, pulumi.Output[str], str]


def _host_files() -> list[WriteFile]:
    """Files every node gets: kernel settings, sshd hardening, the metadata block and the installer."""
    return [
        WriteFile.from_file(FILES / "90-kubelet.conf", "/etc/sysctl.d/90-kubelet.conf"),
        WriteFile.from_file(FILES / "sshd-hardening.conf", "/etc/ssh/sshd_config.d/50-platform.conf"),
        WriteFile.from_file(
            FILES / "platform-block-metadata", "/usr/local/sbin/platform-block-metadata", "0755"
        ),
        WriteFile.from_file(
            FILES / "platform-block-metadata.service",
            "/etc/systemd/system/platform-block-metadata.service",
        ),
        WriteFile.from_file(FILES / "platform-install-k3s", "/usr/local/sbin/platform-install-k3s", "0700"),
    ]


def _server_files() -> list[WriteFile]:
    return [
        WriteFile.from_file(FILES / "audit-policy.yaml", AUDIT_POLICY, "0600"),
        WriteFile.from_file(FILES / "psa.yaml", PSA_CONFIG, "0600"),
    ]


RUNCMD = [
    ["sysctl", "--system"],
    ["systemctl", "restart", "ssh"],
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", "platform-block-metadata.service"],
    ["/usr/local/sbin/platform-install-k3s"],
]
"""Order matters: the metadata block is in place before k3s (and so any pod) starts."""


def render_node_user_data(
    *,
    role: str,
    k3s_version: str,
    private_ip: str,
    k3s_config: dict[str, Any],
    ca_files: list[tuple[str, str, str]],
) -> str:
    """The complete #cloud-config document for one node (plain values; the caller keeps it secret)."""
    env = f"K3S_VERSION={k3s_version}\nK3S_ROLE={role}\nPRIVATE_IP={private_ip}\n"
    files = [
        *_host_files(),
        *(_server_files() if role == "server" else []),
        WriteFile(K3S_ENV_PATH, env, "0644"),
        WriteFile(K3S_CONFIG_PATH, yaml.safe_dump(k3s_config, sort_keys=False), "0600"),
        *(WriteFile(path, content, mode) for path, content, mode in ca_files),
    ]
    return CloudConfig(
        write_files=files,
        packages=["iptables", "curl", "ca-certificates"],
        runcmd=RUNCMD,
    ).render()


def node_user_data(
    *,
    role: str,
    k3s_version: str,
    private_ip: str,
    k3s_config: pulumi.Output[dict[str, Any]],
    ca_files: list[CaFile],
) -> pulumi.Output[str]:
    """render_node_user_data over Outputs; the result is a Pulumi secret (it holds tokens and keys)."""
    contents = pulumi.Output.all(*[content for _, content, _ in ca_files])

    def render(args: list[Any]) -> str:
        config, ca_contents = args
        files = [(path, text, mode) for (path, _, mode), text in zip(ca_files, ca_contents, strict=True)]
        return render_node_user_data(
            role=role, k3s_version=k3s_version, private_ip=private_ip, k3s_config=config, ca_files=files
        )

    return pulumi.Output.secret(pulumi.Output.all(k3s_config, contents).apply(render))
