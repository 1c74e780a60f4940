"""Every user-data document passes `cloud-init schema`; every shell script passes shellcheck."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from offline.program import ProgramRun

from .user_data import k3s_config, k3s_nodes, written_files

REPO = Path(__file__).resolve().parents[2]
SHELL_SCRIPTS = sorted(
    p for p in (REPO / "components").rglob("files/*") if p.is_file() and p.read_text().startswith("#!")
)
"""Every script in a files/ folder, whatever its shebang (`#!/bin/sh`, `#!/usr/bin/env bash`, ...)."""


def _cloud_init_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_user_data_passes_cloud_init_schema(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun, tmp_path: Path
) -> None:
    run = dev_run if stack == "dev" else prod_run
    servers = run.of_type("hcloud:index/server:Server")
    assert servers
    for server in servers:
        document = tmp_path / f"{server.name}.yaml"
        document.write_text(server.plain_inputs["userData"])
        result = _cloud_init_schema(document)
        assert result.returncode == 0, f"{server.name}: {result.stdout}{result.stderr}"


def test_cloud_init_schema_rejects_a_broken_document(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("#cloud-config\nwrite_files:\n  - path: /etc/x\n    permissions: 420\n    bogus: 1\n")
    assert _cloud_init_schema(broken).returncode != 0


def test_shell_scripts_exist_and_pass_shellcheck() -> None:
    assert len(SHELL_SCRIPTS) >= 2
    result = subprocess.run(
        ["shellcheck", *map(str, SHELL_SCRIPTS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_shellcheck_rejects_a_broken_script(tmp_path: Path) -> None:
    script = tmp_path / "bad.sh"
    script.write_text("#!/bin/sh\nrm -rf $TARGET/*\n")
    assert subprocess.run(["shellcheck", str(script)], capture_output=True, check=False).returncode != 0


def _executable(entry: dict) -> bool:
    return int(str(entry.get("permissions", "0644")), 8) & 0o111 != 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_scripts_on_servers_are_the_checked_files(
    stack: str, dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    """Every executable file or script any server receives (k3s nodes and the database VM) is one of
    the files shellcheck checked above."""
    run = dev_run if stack == "dev" else prod_run
    shipped = {
        (server.name, path): entry["content"]
        for server in run.of_type("hcloud:index/server:Server")
        for path, entry in written_files(server).items()
        if _executable(entry) or entry["content"].startswith("#!")
    }
    assert len({path for _, path in shipped}) >= 5
    checked = {p.read_text() for p in SHELL_SCRIPTS}
    unchecked = sorted(
        f"{name}:{path}" for (name, path), content in shipped.items() if content not in checked
    )
    assert unchecked == []


def test_k3s_config_is_private_and_hardened(prod_run: ProgramRun) -> None:
    for server in k3s_nodes(prod_run):
        entry = written_files(server)["/etc/rancher/k3s/config.yaml"]
        assert entry["permissions"] == "0600"
        config = k3s_config(server)
        assert config["protect-kernel-defaults"] is True
        if "agent-token" in config:
            assert config["secrets-encryption"] is True
            assert config["disable-cloud-controller"] is True
            assert {"servicelb", "local-storage"} <= set(config["disable"])
            args = config["kube-apiserver-arg"]
            assert any(a.startswith("audit-log-path=") for a in args)
            assert any(a.startswith("admission-control-config-file=") for a in args)


def test_metadata_block_runs_before_k3s(prod_run: ProgramRun) -> None:
    for server in k3s_nodes(prod_run):
        runcmd = [" ".join(step) for step in yaml.safe_load(server.plain_inputs["userData"])["runcmd"]]
        block = runcmd.index("systemctl enable --now platform-block-metadata.service")
        install = runcmd.index("/usr/local/sbin/platform-install-k3s")
        assert block < install, server.name
