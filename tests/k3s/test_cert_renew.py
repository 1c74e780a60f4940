"""The certificate renewal check, run for real on certificates made with openssl: it restarts k3s when
a leaf certificate nears expiry (in the node's turn only) and writes metrics Prometheus can parse."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "components" / "k3s" / "files" / "platform-k3s-cert-renew"


def _certificate(path: Path, days: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = path.with_suffix(".key")
    command = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=test",
    ]
    command += ["-keyout", str(key), "-out", str(path), "-days", str(days)]
    subprocess.run(command, check=True, capture_output=True)


DAY_OF_YEAR = "045"
"""The day the fake `date` reports (`date +%j` pads to three digits; 45 % 3 == 0 is slot 0)."""


def _node(tmp_path: Path, *, role: str, slot: int, slots: int, leaf_days: int) -> dict[str, str]:
    data = tmp_path / "k3s"
    _certificate(data / "server" / "tls" / "server-ca.crt", 3650)
    _certificate(data / "server" / "tls" / "serving-kube-apiserver.crt", leaf_days)
    _certificate(data / "agent" / "client-kubelet.crt", 365)
    _certificate(data / "server" / "tls" / "temporary-certs" / "apiserver-loopback-client.crt", 1)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text('#!/bin/sh\necho "systemctl $*" >> "$CALLS"\n')
    (bin_dir / "systemctl").chmod(0o755)
    real_date = shutil.which("date")
    (bin_dir / "date").write_text(
        f'#!/bin/sh\nif [ "$*" = "+%j" ]; then echo {DAY_OF_YEAR}; else exec {real_date} "$@"; fi\n'
    )
    (bin_dir / "date").chmod(0o755)
    (tmp_path / "k3s.env").write_text(f"K3S_ROLE={role}\nCERT_RENEW_SLOT={slot}\nCERT_RENEW_SLOTS={slots}\n")
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls"),
        "PLATFORM_ENV": str(tmp_path / "k3s.env"),
        "K3S_DATA_DIR": str(data),
        "TEXTFILE_DIR": str(tmp_path / "textfile"),
    }


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env, check=False)


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls"
    return log.read_text().splitlines() if log.exists() else []


def test_a_leaf_near_expiry_restarts_k3s_in_this_nodes_turn(tmp_path: Path) -> None:
    env = _node(tmp_path, role="server", slot=0, slots=3, leaf_days=30)
    result = _run(env)
    assert result.returncode == 0, result.stderr
    assert _calls(tmp_path) == ["systemctl restart k3s"]
    assert "server/tls/serving-kube-apiserver.crt" in result.stderr


def test_other_servers_wait_for_their_turn(tmp_path: Path) -> None:
    env = _node(tmp_path, role="server", slot=1, slots=3, leaf_days=30)
    result = _run(env)
    assert result.returncode == 0
    assert _calls(tmp_path) == []
    assert "waiting for this node's turn" in result.stderr


def test_fresh_certificates_and_a_ca_near_nothing_cause_no_restart(tmp_path: Path) -> None:
    env = _node(tmp_path, role="agent", slot=0, slots=1, leaf_days=365)
    result = _run(env)
    assert result.returncode == 0, result.stderr
    assert _calls(tmp_path) == []
    assert "none expires within 100 days" in result.stderr


def test_agents_restart_the_agent_service(tmp_path: Path) -> None:
    env = _node(tmp_path, role="agent", slot=0, slots=1, leaf_days=30)
    _run(env)
    assert _calls(tmp_path) == ["systemctl restart k3s-agent"]


def test_metrics_are_valid_prometheus_text_with_kinds(tmp_path: Path) -> None:
    env = _node(tmp_path, role="server", slot=0, slots=1, leaf_days=365)
    _run(env)
    metrics = (tmp_path / "textfile" / "k3s_certificates.prom").read_text()
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert 'file="server/tls/server-ca.crt",kind="ca"' in metrics
    assert 'file="server/tls/serving-kube-apiserver.crt",kind="leaf"' in metrics
    assert 'file="agent/client-kubelet.crt",kind="leaf"' in metrics
    assert "temporary-certs" not in metrics
    assert "platform_k3s_certificate_check_timestamp_seconds " in metrics


@pytest.mark.parametrize("role", ["", "worker"])
def test_a_bad_role_is_refused(tmp_path: Path, role: str) -> None:
    env = _node(tmp_path, role=role, slot=0, slots=1, leaf_days=30)
    result = _run(env)
    assert result.returncode == 2 and "K3S_ROLE must be server or agent" in result.stderr
    assert _calls(tmp_path) == []


def test_a_node_without_k3s_says_so(tmp_path: Path) -> None:
    env = _node(tmp_path, role="server", slot=0, slots=1, leaf_days=30)
    env["K3S_DATA_DIR"] = str(tmp_path / "missing")
    result = _run(env)
    assert result.returncode == 1 and "no certificates under" in result.stderr
