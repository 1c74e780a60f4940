"""platform-install-k3s, run for real under dash with the rendered k3s.env of prod's servers.

`curl` on PATH is a fake that records each call and serves files the test chose (the installer, the
binary) or answers the peer probe; `ip` reports the private address; everything else (sha256sum,
install, the served installer run by `sh`) is real. The served installer stands in for k3s's
install.sh: it records the environment it got and which config drop-ins k3s would read.

Guards: the node refuses an installer or a binary whose sha256 is not the pinned one (#13 item 17);
only the very first boot of an HA cluster initialises etcd, a rebuilt first server joins (#13 item 5).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from components import versions
from offline.program import ProgramError, ProgramRun, run_program

from ..upstream_data import upstream_file
from .user_data import k3s_config, k3s_nodes, written_files

SCRIPT_PATH = "/usr/local/sbin/platform-install-k3s"
ENV_PATH = "/etc/platform/k3s.env"
INSTALLER_URL = (
    "https://raw.githubusercontent.com/k3s-io/k3s/39a4509ed98145d4f1eb8e15a8ca8362ca018afa/install.sh"
)
BINARY_URL = "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s"
"""Literal release URL of the amd64 binary (as public projects pinning it spell it); this machine's
uname -m is what the script reads, so the test runs on amd64."""

FAKE_CURL = """#!/bin/sh
# Records the call; serves the file listed for the URL in $SERVED (lines: URL<TAB>path); a /cacerts
# probe succeeds only when $PEERS_ANSWER is 1.
echo "curl $*" >> "$CALLS"
out="" url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift ;;
    --cacert|--max-time|--retry) shift ;;
    http*) url=$1 ;;
  esac
  shift
done
case "$url" in
  */cacerts) [ "${PEERS_ANSWER:-0}" = 1 ]; exit $? ;;
esac
source=$(awk -F '\t' -v u="$url" '$1 == u { print $2 }' "$SERVED")
[ -n "$source" ] || exit 22
cp "$source" "$out"
"""

FAKE_IP = """#!/bin/sh
echo "2: ens10    inet $FAKE_ADDRESS/32 brd $FAKE_ADDRESS scope global ens10"
"""

FAKE_INSTALLER = """#!/bin/sh
# Stands in for k3s's install.sh: records what it got and what k3s would read at this start.
{
  echo "installer SKIP_DOWNLOAD=$INSTALL_K3S_SKIP_DOWNLOAD EXEC=$INSTALL_K3S_EXEC" \
    "BIN_DIR=$INSTALL_K3S_BIN_DIR"
  [ -x "$INSTALL_K3S_BIN_DIR/k3s" ] && echo "installer sees an executable k3s"
  for f in "$K3S_CONFIG_DIR"/config.yaml.d/*.yaml; do
    echo "dropin $(basename "$f"): $(tr '\\n' ' ' < "$f")"
    cp "$f" "$SEEN"
  done
} >> "$CALLS"
"""


@dataclass
class Node:
    root: Path
    env: dict[str, str]

    def serve(self, url: str, content: bytes) -> str:
        """Serve `content` at `url`; returns its sha256."""
        path = self.root / "served" / hashlib.sha256(url.encode()).hexdigest()
        path.write_bytes(content)
        with (self.root / "served.tsv").open("a") as table:
            table.write(f"{url}\t{path}\n")
        return hashlib.sha256(content).hexdigest()

    def run(self, script: str, k3s_env: str, **extra: str) -> subprocess.CompletedProcess[str]:
        (self.root / "script").write_text(script)
        (self.root / "k3s.env").write_text(k3s_env)
        return subprocess.run(
            ["dash", str(self.root / "script")],
            capture_output=True,
            text=True,
            env={**self.env, **extra},
            check=False,
        )

    def calls(self) -> list[str]:
        log = self.root / "calls"
        return log.read_text().splitlines() if log.exists() else []

    @property
    def binary(self) -> Path:
        return self.root / "bin-target" / "k3s"

    @property
    def dropins(self) -> list[str]:
        return sorted(p.name for p in (self.root / "etc" / "config.yaml.d").glob("*.yaml"))


@pytest.fixture
def node(tmp_path: Path) -> Node:
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    (tmp_path / "served").mkdir()
    (tmp_path / "served.tsv").write_text("")
    for name, body in (("curl", FAKE_CURL), ("ip", FAKE_IP)):
        (fakes / name).write_text(body)
        (fakes / name).chmod(0o755)
    env = {
        "PATH": f"{fakes}:{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls"),
        "SERVED": str(tmp_path / "served.tsv"),
        "PLATFORM_ENV": str(tmp_path / "k3s.env"),
        "K3S_CONFIG_DIR": str(tmp_path / "etc"),
        "K3S_DATA_DIR": str(tmp_path / "data"),
        "K3S_BIN_DIR": str(tmp_path / "bin-target"),
        "PEER_ATTEMPTS": "1",
        "SEEN": str(tmp_path / "seen"),
    }
    (tmp_path / "seen").mkdir()
    return Node(tmp_path, env)


def _server(run: ProgramRun, suffix: str) -> dict[str, dict]:
    return written_files(next(s for s in k3s_nodes(run) if s.name.endswith(suffix)))


def _rendered(run: ProgramRun, suffix: str) -> tuple[str, str, str]:
    """(script, k3s.env, the node's private IP) as cloud-init writes them on that server."""
    files = _server(run, suffix)
    env = files[ENV_PATH]["content"]
    address = next(line.split("=", 1)[1] for line in env.splitlines() if line.startswith("PRIVATE_IP="))
    return files[SCRIPT_PATH]["content"], env, address


def _pins_for(installer: str, binary: str) -> str:
    """k3s.env lines pinning the served stand-ins (sourced after the rendered ones, so they win)."""
    return f"K3S_INSTALLER_SHA256={installer}\nK3S_SHA256_AMD64={binary}\n"


def test_the_rendered_pins_are_the_versions_pins(prod_run: ProgramRun) -> None:
    for server in k3s_nodes(prod_run):
        env = dict(line.split("=", 1) for line in written_files(server)[ENV_PATH]["content"].splitlines())
        assert env["K3S_INSTALLER_COMMIT"] == versions.K3S_INSTALLER_COMMIT
        assert env["K3S_INSTALLER_SHA256"] == versions.K3S_INSTALLER_SHA256
        pinned = versions.K3S_BINARY_SHA256[env["K3S_VERSION"]]
        assert (env["K3S_SHA256_AMD64"], env["K3S_SHA256_ARM64"]) == (pinned["amd64"], pinned["arm64"])


def test_a_tampered_installer_is_refused_and_nothing_runs(node: Node, prod_run: ProgramRun) -> None:
    script, env, address = _rendered(prod_run, "general-0")
    node.serve(INSTALLER_URL, FAKE_INSTALLER.encode())
    node.serve(BINARY_URL, b"\x7fELF not the k3s release\n")
    result = node.run(script, env, FAKE_ADDRESS=address)
    assert result.returncode == 1
    assert f"refusing {INSTALLER_URL}" in result.stderr
    assert versions.K3S_INSTALLER_SHA256 in result.stderr
    assert not node.binary.exists()
    assert not [c for c in node.calls() if c.startswith("installer")]


def test_a_tampered_binary_is_refused_before_the_installer_runs(node: Node, prod_run: ProgramRun) -> None:
    script, env, address = _rendered(prod_run, "general-0")
    installer = node.serve(INSTALLER_URL, FAKE_INSTALLER.encode())
    node.serve(BINARY_URL, b"\x7fELF not the k3s release\n")
    result = node.run(script, env + f"K3S_INSTALLER_SHA256={installer}\n", FAKE_ADDRESS=address)
    assert result.returncode == 1
    assert f"refusing {BINARY_URL}" in result.stderr
    assert versions.K3S_BINARY_SHA256["v1.34.10+k3s1"]["amd64"] in result.stderr
    assert not node.binary.exists()
    assert not [c for c in node.calls() if c.startswith("installer")]


def test_verified_files_install_k3s_without_any_further_download(node: Node, prod_run: ProgramRun) -> None:
    script, env, address = _rendered(prod_run, "general-0")
    installer = node.serve(INSTALLER_URL, FAKE_INSTALLER.encode())
    binary = node.serve(BINARY_URL, b"#!/bin/sh\necho k3s\n")
    result = node.run(script, env + _pins_for(installer, binary), FAKE_ADDRESS=address)
    assert result.returncode == 0, result.stderr
    assert node.binary.read_bytes() == b"#!/bin/sh\necho k3s\n"
    calls = node.calls()
    assert [c.split()[-1] for c in calls if c.startswith("curl")] == [INSTALLER_URL, BINARY_URL]
    assert f"installer SKIP_DOWNLOAD=true EXEC=agent BIN_DIR={node.binary.parent}" in calls
    assert "installer sees an executable k3s" in calls


def test_ha_servers_persist_a_join_and_only_a_single_server_persists_cluster_init(
    prod_run: ProgramRun, dev_run: ProgramRun
) -> None:
    servers = [s for s in k3s_nodes(prod_run) if "agent-token" in k3s_config(s)]
    assert len(servers) == 3
    for server in servers:
        config = k3s_config(server)
        assert config["server"] == "https://10.0.1.2:6443", server.name
        assert "cluster-init" not in config, f"{server.name} would start a new cluster whenever rebuilt"
    (single,) = [s for s in k3s_nodes(dev_run) if "agent-token" in k3s_config(s)]
    assert k3s_config(single)["cluster-init"] is True and "server" not in k3s_config(single)


def test_the_first_boot_of_an_ha_cluster_initialises_once(node: Node, prod_run: ProgramRun) -> None:
    script, env, address = _rendered(prod_run, "cp-0")
    assert 'K3S_INIT_PEERS="https://10.0.1.12:6443 https://10.0.1.13:6443"' in env.splitlines()
    installer = node.serve(INSTALLER_URL, FAKE_INSTALLER.encode())
    binary = node.serve(BINARY_URL, b"#!/bin/sh\necho k3s\n")
    result = node.run(script, env + _pins_for(installer, binary), FAKE_ADDRESS=address, PEERS_ANSWER="0")
    assert result.returncode == 0, result.stderr
    calls = node.calls()
    probes = [c for c in calls if c.endswith("/cacerts")]
    assert [p.split()[-1] for p in probes] == [
        "https://10.0.1.12:6443/cacerts",
        "https://10.0.1.13:6443/cacerts",
    ]
    assert all(f"--cacert {node.root}/data/server/tls/server-ca.crt" in p for p in probes)
    assert 'dropin 10-initialise-cluster.yaml: cluster-init: true server: "" ' in calls
    assert node.dropins == ["20-private-network.yaml"], "the initialise drop-in outlived the first start"
    # k3s refuses to start on an unknown key: every key the script writes is a `k3s server` flag.
    flags = upstream_file(f"k3s/{versions.K3S_VERSION}/server-flags.txt").read_text().splitlines()
    known = {line.split("\t", 1)[0] for line in flags}
    seen = {f.name: yaml.safe_load(f.read_text()) for f in (node.root / "seen").iterdir()}
    assert set(seen) == {"10-initialise-cluster.yaml", "20-private-network.yaml"}
    assert seen["10-initialise-cluster.yaml"] == {"cluster-init": True, "server": ""}
    assert {key for dropin in seen.values() for key in dropin} <= known


def test_a_rebuilt_first_server_joins_the_running_cluster(node: Node, prod_run: ProgramRun) -> None:
    script, env, address = _rendered(prod_run, "cp-0")
    installer = node.serve(INSTALLER_URL, FAKE_INSTALLER.encode())
    binary = node.serve(BINARY_URL, b"#!/bin/sh\necho k3s\n")
    result = node.run(script, env + _pins_for(installer, binary), FAKE_ADDRESS=address, PEERS_ANSWER="1")
    assert result.returncode == 0, result.stderr
    assert not [c for c in node.calls() if "10-initialise-cluster" in c]
    assert "joining it through the server in config.yaml" in result.stderr


def test_other_servers_never_consider_initialising(node: Node, prod_run: ProgramRun) -> None:
    script, env, address = _rendered(prod_run, "cp-1")
    assert 'K3S_INIT_PEERS=""' in env.splitlines()
    installer = node.serve(INSTALLER_URL, FAKE_INSTALLER.encode())
    binary = node.serve(BINARY_URL, b"#!/bin/sh\necho k3s\n")
    result = node.run(script, env + _pins_for(installer, binary), FAKE_ADDRESS=address)
    assert result.returncode == 0, result.stderr
    assert not [c for c in node.calls() if c.endswith("/cacerts") or "initialise" in c]


def test_config_refuses_a_k3s_version_without_a_pinned_binary_digest() -> None:
    with pytest.raises(ProgramError) as failure:
        run_program("dev", overrides={"cluster.k3sVersion": "v1.34.9+k3s1"})
    message = str(failure.value.cause)
    assert "platform:cluster.k3sBinarySha256" in message and "v1.34.9+k3s1" in message
    digests = {"amd64": "a" * 64, "arm64": "b" * 64}
    run = run_program(
        "dev", overrides={"cluster.k3sVersion": "v1.34.9+k3s1", "cluster.k3sBinarySha256": digests}
    )
    env = _server(run, "cp-0")[ENV_PATH]["content"].splitlines()
    assert f"K3S_SHA256_AMD64={'a' * 64}" in env and f"K3S_SHA256_ARM64={'b' * 64}" in env
