"""The etcd restore script, run for real under dash (Debian's /bin/sh) with fake `k3s` and `systemctl`
on PATH that record each call: it checks its arguments with clear messages, and runs the k3s restore
steps in the documented order."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from components import versions
from offline.program import ProgramRun
from tests.upstream_data import upstream_file

from ..k3s.user_data import k3s_config, k3s_nodes, written_files

SCRIPT = Path(__file__).resolve().parents[2] / "components" / "k3s" / "files" / "platform-etcd-restore"

FAKE_K3S = """#!/bin/sh
# Records its arguments, and whether S3 credentials reached it through the environment.
echo "k3s $*" >> "$CALLS"
[ -z "${AWS_SECRET_ACCESS_KEY:-}" ] || echo "k3s env has AWS_SECRET_ACCESS_KEY" >> "$CALLS"
case "$1" in
  server) exit "${FAKE_K3S_RESET_STATUS:-0}" ;;
esac
exit 0
"""

FAKE_SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "$CALLS"
"""

S3_SETTINGS = (
    "ETCD_S3_ENDPOINT=fsn1.example.test\nETCD_S3_REGION=fsn1\n"
    "ETCD_S3_BUCKET=platform-prod-etcd\nETCD_S3_FOLDER=etcd-snapshots\n"
)


@dataclass
class Node:
    root: Path
    env: dict[str, str]

    @property
    def data_dir(self) -> Path:
        return self.root / "k3s"

    def run(self, *args: str, stdin: str = "", **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["dash", str(SCRIPT), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **extra_env},
            check=False,
        )

    def calls(self) -> list[str]:
        log = self.root / "calls"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def node(tmp_path: Path) -> Node:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("k3s", FAKE_K3S), ("systemctl", FAKE_SYSTEMCTL)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "k3s.env").write_text("K3S_VERSION=v1.34.1+k3s1\nK3S_ROLE=server\nPRIVATE_IP=10.0.1.11\n")
    (tmp_path / "etcd-backup.env").write_text(S3_SETTINGS)
    snapshots = tmp_path / "k3s" / "server" / "db" / "snapshots"
    snapshots.mkdir(parents=True)
    (snapshots / "etcd-snapshot-k3s-cp-0-1764100000").write_text("snapshot")
    (tmp_path / "k3s" / "server" / "db" / "etcd").mkdir()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls"),
        "PLATFORM_ENV": str(tmp_path / "k3s.env"),
        "ETCD_BACKUP_ENV": str(tmp_path / "etcd-backup.env"),
        "K3S_DATA_DIR": str(tmp_path / "k3s"),
        "READY_ATTEMPTS": "1",
    }
    return Node(tmp_path, env)


def test_shellcheck_passes() -> None:
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_usage_and_unknown_commands(node: Node) -> None:
    assert node.run().returncode == 2
    helped = node.run("--help")
    assert helped.returncode == 0 and "prepare-rejoin" in helped.stdout
    unknown = node.run("restroe")
    assert unknown.returncode == 2 and "unknown command 'restroe'" in unknown.stderr
    assert node.calls() == []


def test_refuses_to_run_on_an_agent(node: Node) -> None:
    (node.root / "k3s.env").write_text("K3S_ROLE=agent\n")
    result = node.run("restore", "x", "--yes")
    assert result.returncode == 1
    assert "this node is a k3s agent; run this on a k3s server" in result.stderr
    assert node.calls() == []


@pytest.mark.parametrize(
    ("args", "extra_env", "message"),
    [
        (("restore",), {}, "restore needs a SNAPSHOT"),
        (("restore", "--yes"), {}, "restore needs a SNAPSHOT"),
        (("restore", "/nowhere/etcd-snapshot-1"), {}, "no snapshot file /nowhere/etcd-snapshot-1"),
        (
            ("restore", "etcd-snapshot-remote-1", "--yes"),
            {},
            "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
    ],
)
def test_bad_arguments_change_nothing(
    node: Node, args: tuple[str, ...], extra_env: dict, message: str
) -> None:
    result = node.run(*args, **extra_env)
    assert result.returncode == 1
    assert message in result.stderr
    assert node.calls() == []


def test_an_s3_snapshot_needs_a_configured_bucket(node: Node) -> None:
    (node.root / "etcd-backup.env").write_text("ETCD_S3_BUCKET=\n")
    result = node.run("restore", "etcd-snapshot-remote-1", "--yes")
    assert "no off-site bucket is configured" in result.stderr
    assert node.calls() == []


def test_anything_but_yes_cancels(node: Node) -> None:
    result = node.run("restore", "etcd-snapshot-k3s-cp-0-1764100000", stdin="y\n")
    assert result.returncode == 1 and "cancelled; nothing was changed" in result.stderr
    assert node.calls() == []


def _k3s_server_flags() -> dict[str, str]:
    """`k3s server` flag -> environment variable, for the pinned k3s (vendored from its source)."""
    flags: dict[str, str] = {}
    text = upstream_file(f"k3s/{versions.K3S_VERSION}/server-flags.txt").read_text()
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, aliases, _kind, env, *_ = [*line.split("\t"), "", ""]
        for flag in [name, *filter(None, aliases.split(","))]:
            flags[flag] = env
    return flags


def _assert_real_k3s_server_flags(call: str) -> None:
    """Every option the script gives `k3s server` is one the pinned k3s accepts."""
    words = call.split()
    assert words[:2] == ["k3s", "server"], call
    known = _k3s_server_flags()
    unknown = [w for w in words[2:] if w.startswith("-") and w.lstrip("-").split("=", 1)[0] not in known]
    assert unknown == [], f"not flags of k3s server {versions.K3S_VERSION}: {unknown}"


def test_the_flag_check_refuses_a_misspelt_flag() -> None:
    with pytest.raises(AssertionError, match="cluster-rest"):
        _assert_real_k3s_server_flags("k3s server --cluster-rest")


def test_restore_from_a_local_snapshot_runs_the_steps_in_order(node: Node) -> None:
    result = node.run("restore", "etcd-snapshot-k3s-cp-0-1764100000", stdin="yes\n")
    assert result.returncode == 0, result.stderr
    snapshot = node.data_dir / "server" / "db" / "snapshots" / "etcd-snapshot-k3s-cp-0-1764100000"
    _assert_real_k3s_server_flags(node.calls()[1])
    assert node.calls() == [
        "systemctl stop k3s",
        f"k3s server --cluster-reset --cluster-reset-restore-path={snapshot} --etcd-s3=false",
        "systemctl start k3s",
        "k3s kubectl get --raw=/readyz",
    ]
    assert "rejoin' on every other server" in result.stderr


def test_a_local_restore_on_a_prod_server_turns_the_s3_config_off(node: Node, prod_run: ProgramRun) -> None:
    """Prod servers' config.yaml says `etcd-s3: true` (settings in a Secret k3s cannot read during a
    reset); k3s needs `--etcd-s3=false` to restore a local file there (k3s docs, cli/etcd-snapshot)."""
    cp0 = next(s for s in k3s_nodes(prod_run) if s.name.endswith("cp-0"))
    files = written_files(cp0)
    assert k3s_config(cp0)["etcd-s3"] is True
    (node.root / "k3s.env").write_text(files["/etc/platform/k3s.env"]["content"])
    (node.root / "etcd-backup.env").write_text(files["/etc/platform/etcd-backup.env"]["content"])
    result = node.run("restore", "etcd-snapshot-k3s-cp-0-1764100000", "--yes")
    assert result.returncode == 0, result.stderr
    (reset,) = [c.split() for c in node.calls() if c.startswith("k3s server")]
    assert "--cluster-reset" in reset and "--etcd-s3=false" in reset, reset


def test_restore_from_s3_passes_credentials_only_through_the_environment(node: Node) -> None:
    secret = "s3-secret-value-that-must-not-appear-in-arguments"
    result = node.run(
        "restore",
        "etcd-snapshot-k3s-cp-0-1764000000",
        "--yes",
        AWS_ACCESS_KEY_ID="AKID",
        AWS_SECRET_ACCESS_KEY=secret,
    )
    assert result.returncode == 0, result.stderr
    calls = node.calls()
    reset = next(c for c in calls if c.startswith("k3s server"))
    _assert_real_k3s_server_flags(reset)
    flags = _k3s_server_flags()
    # The credentials reach k3s through the environment variables its own flags read.
    assert (flags["etcd-s3-access-key"], flags["etcd-s3-secret-key"]) == (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    )
    assert "--cluster-reset-restore-path=etcd-snapshot-k3s-cp-0-1764000000" in reset
    for flag in (
        "--etcd-s3",
        "--etcd-s3-endpoint=fsn1.example.test",
        "--etcd-s3-bucket=platform-prod-etcd",
        "--etcd-s3-folder=etcd-snapshots",
    ):
        assert flag in reset.split()
    assert "--etcd-s3=false" not in reset.split()
    assert "k3s env has AWS_SECRET_ACCESS_KEY" in calls
    assert not [c for c in calls if secret in c or "AKID" in c]


def test_a_failed_reset_leaves_k3s_stopped_and_says_where_the_data_is(node: Node) -> None:
    result = node.run("restore", "etcd-snapshot-k3s-cp-0-1764100000", "--yes", FAKE_K3S_RESET_STATUS="1")
    assert result.returncode == 1
    assert "etcd-old" in result.stderr
    assert "systemctl start k3s" not in node.calls()


def test_other_servers_step_aside_and_rejoin(node: Node) -> None:
    refused = node.run("rejoin")
    assert refused.returncode == 1 and "run 'platform-etcd-restore prepare-rejoin' first" in refused.stderr
    prepared = node.run("prepare-rejoin", "--yes")
    assert prepared.returncode == 0, prepared.stderr
    assert not (node.data_dir / "server" / "db").exists()
    assert next(p.name for p in (node.data_dir / "server").iterdir()).startswith("db.before-restore-")
    rejoined = node.run("rejoin")
    assert rejoined.returncode == 0, rejoined.stderr
    assert node.calls() == ["systemctl stop k3s", "systemctl start k3s", "k3s kubectl get --raw=/readyz"]


def test_list_says_when_it_shows_local_snapshots_only(node: Node) -> None:
    local = node.run("list")
    assert local.returncode == 0 and "showing local snapshots only" in local.stderr
    assert node.calls() == ["k3s etcd-snapshot list"]
