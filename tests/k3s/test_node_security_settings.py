"""Security settings the nodes boot with, read back by the programs that apply them: OpenSSH's own
`sshd -T` over the rendered sshd drop-ins, and the Pod Security admission defaults k3s hands the API
server (the mutation check, benchmarks/mutants.py, showed both could change with the suite green)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from components.k3s.node_config import PSA_CONFIG
from offline.program import ProgramRun

from .user_data import k3s_nodes, written_files

SSHD_DROP_INS = "/etc/ssh/sshd_config.d/"


def _effective_sshd(files: dict[str, dict], tmp_path: Path) -> dict[str, str]:
    """`sshd -T` (Debian's openssh-server) over the node's drop-ins, in a private mount namespace that
    gives it the /run/sshd it insists on without touching the host."""
    drop_ins = tmp_path / "sshd_config.d"
    drop_ins.mkdir(parents=True)
    for path, entry in files.items():
        if path.startswith(SSHD_DROP_INS):
            (drop_ins / Path(path).name).write_text(entry["content"])
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "key")], check=True)
    main = tmp_path / "sshd_config"
    main.write_text(f"Include {drop_ins}/*.conf\nHostKey {tmp_path / 'key'}\n")
    script = f"mount -t tmpfs none /run && mkdir /run/sshd && exec /usr/sbin/sshd -T -f {main}"
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)


def test_sshd_takes_keys_only_and_forwards_nothing(prod_run: ProgramRun, tmp_path: Path) -> None:
    for index, server in enumerate(k3s_nodes(prod_run)):
        effective = _effective_sshd(written_files(server), tmp_path / str(index))
        assert effective["passwordauthentication"] == "no", server.name
        assert effective["kbdinteractiveauthentication"] == "no", server.name
        assert effective["permitrootlogin"] == "without-password", server.name  # = prohibit-password
        assert effective["allowtcpforwarding"] == "no" and effective["x11forwarding"] == "no", server.name


def test_sshd_check_sees_a_password_login(tmp_path: Path) -> None:
    """Failing case: a drop-in that allows passwords shows as such."""
    files = {f"{SSHD_DROP_INS}50-platform.conf": {"content": "PasswordAuthentication yes\n"}}
    assert _effective_sshd(files, tmp_path)["passwordauthentication"] == "yes"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pod_security_admission_enforces_restricted_by_default(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    servers = [
        s for s in k3s_nodes(dev_run if stack == "dev" else prod_run) if PSA_CONFIG in written_files(s)
    ]
    assert servers
    for server in servers:
        admission = yaml.safe_load(written_files(server)[PSA_CONFIG]["content"])
        assert admission["apiVersion"] == "apiserver.config.k8s.io/v1"
        (plugin,) = [p for p in admission["plugins"] if p["name"] == "PodSecurity"]
        defaults = plugin["configuration"]["defaults"]
        assert {defaults[m] for m in ("enforce", "audit", "warn")} == {"restricted"}, server.name
        assert plugin["configuration"]["exemptions"]["namespaces"] == ["kube-system"]
