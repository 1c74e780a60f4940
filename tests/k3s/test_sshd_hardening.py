"""The sshd hardening wins for real: Debian's sshd (`sshd -T`, the effective configuration) reads the
rendered drop-ins next to a cloud-init drop-in that turns passwords on, with Debian's own sshd_config.

sshd keeps the first value it reads for a keyword and includes /etc/ssh/sshd_config.d/*.conf in name
order, so the file name decides who wins. `sshd -T` needs its privilege-separation directory; it gets
a private /run (a mount namespace of its own), so the test leaves the machine as it was.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from offline.program import ProgramRun, Registration

from .user_data import k3s_nodes, written_files

DROP_IN_DIR = "/etc/ssh/sshd_config.d/"
DEBIAN_SSHD_CONFIG = Path("/etc/ssh/sshd_config")
CLOUD_INIT_PASSWORDS_ON = "PasswordAuthentication yes\n"
"""What cloud-init writes to 50-cloud-init.conf when a layer (vendor-data, ssh_pwauth: true) asks."""


def _sshd() -> str:
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists() or not DEBIAN_SSHD_CONFIG.exists():
        pytest.fail("Debian's openssh-server is needed: run scripts/install-debian-tools.sh")
    return sshd


def effective_sshd_config(drop_ins: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """`sshd -T` over Debian's sshd_config whose Include points at `drop_ins` (name -> content)."""
    conf_d = tmp_path / "sshd_config.d"
    conf_d.mkdir(parents=True)
    for name, content in drop_ins.items():
        (conf_d / name).write_text(content)
    main = tmp_path / "sshd_config"
    main.write_text(DEBIAN_SSHD_CONFIG.read_text().replace(DROP_IN_DIR.rstrip("/"), str(conf_d)))
    assert str(conf_d) in main.read_text(), "Debian's sshd_config no longer includes sshd_config.d"
    key = tmp_path / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    result = subprocess.run(
        [
            "unshare",
            "--mount",
            "sh",
            "-c",
            'mount -t tmpfs none /run && mkdir /run/sshd && exec "$0" -T -f "$1" -h "$2"',
            _sshd(),
            str(main),
            str(key),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)


def _k3s_drop_ins(server_files: dict[str, dict]) -> dict[str, str]:
    return {
        path.removeprefix(DROP_IN_DIR): entry["content"]
        for path, entry in server_files.items()
        if path.startswith(DROP_IN_DIR)
    }


def test_hardening_beats_a_cloud_init_drop_in_that_allows_passwords(
    prod_run: ProgramRun, tmp_path: Path
) -> None:
    roles: dict[str, Registration] = {}
    for server in k3s_nodes(prod_run):
        roles.setdefault(server.plain_inputs["labels"]["platform/role"], server)
    assert set(roles) == {"control-plane", "agent"}
    for role, server in roles.items():
        drop_ins = _k3s_drop_ins(written_files(server))
        assert drop_ins, f"{server.name}: no sshd drop-in"
        effective = effective_sshd_config(
            {**drop_ins, "50-cloud-init.conf": CLOUD_INIT_PASSWORDS_ON}, tmp_path / role
        )
        assert effective["passwordauthentication"] == "no", server.name
        assert effective["kbdinteractiveauthentication"] == "no", server.name
        assert effective["permitrootlogin"] == "without-password", server.name
        assert effective["allowtcpforwarding"] == "no", server.name
        assert effective["x11forwarding"] == "no", server.name


def test_the_same_drop_in_sorted_after_cloud_init_would_lose(tmp_path: Path) -> None:
    """The check can fail: sshd really does keep cloud-init's value when it comes first."""
    effective = effective_sshd_config(
        {"50-cloud-init.conf": CLOUD_INIT_PASSWORDS_ON, "50-platform.conf": "PasswordAuthentication no\n"},
        tmp_path,
    )
    assert effective["passwordauthentication"] == "yes"


def test_every_server_tells_cloud_init_no_passwords(prod_run: ProgramRun) -> None:
    for server in prod_run.of_type("hcloud:index/server:Server"):
        assert yaml.safe_load(server.plain_inputs["userData"]).get("ssh_pwauth") is False, server.name
