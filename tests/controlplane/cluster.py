"""etcd and kube-apiserver started on loopback from what the program renders for its first server.

The binaries come from `scripts/build-controlplane.sh` (built once per version, then cached). The
admin kubeconfig and the readiness gate's inputs are the program's own; only the address changes.
"""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.k3s.readiness import client_context, wait_until_ready
from offline.program import ProgramRun
from offline.wire import reveal

from .api import Api
from .k3s_server import FirstServer, ServerDir, apiserver_args, etcd_args, first_server, lay_out

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build-controlplane.sh"
READINESS_GATE = "pulumi-python:dynamic:Resource"
START_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path


def build_binaries() -> Binaries:
    """Runs the project's build script (a no-op when the cache holds this version already)."""
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{BUILD_SCRIPT.relative_to(REPO)} failed (it needs Go and the Go module proxy):\n"
            f"{result.stderr[-4000:]}"
        )
    paths = {Path(line).name: Path(line) for line in result.stdout.split()}
    return Binaries(paths["kube-apiserver"], paths["etcd"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@dataclass(frozen=True)
class Kubeconfig:
    """The admin kubeconfig the program exports, pointed at the loopback API server."""

    server: str
    ca_pem: str
    cert_pem: str
    key_pem: str

    @classmethod
    def from_program(cls, run: ProgramRun, server: str) -> Kubeconfig:
        document = yaml.safe_load(reveal(run.outputs["kubeconfig"]))
        (cluster,) = document["clusters"]
        (user,) = document["users"]

        def decode(data: str) -> str:
            return base64.b64decode(data).decode()

        return cls(
            server,
            decode(cluster["cluster"]["certificate-authority-data"]),
            decode(user["user"]["client-certificate-data"]),
            decode(user["user"]["client-key-data"]),
        )

    def api(self) -> Api:
        return Api(self.server, client_context(self.ca_pem, self.cert_pem, self.key_pem))


@dataclass
class ControlPlane:
    run: ProgramRun
    first: FirstServer
    server: ServerDir
    url: str
    etcd_url: str
    kubeconfig: Kubeconfig
    readiness_attempts: int
    processes: list[subprocess.Popen[bytes]]
    workdir: Path

    @property
    def api(self) -> Api:
        return self.kubeconfig.api()

    def etcd_context(self) -> ssl.SSLContext:
        """TLS to etcd as kube-apiserver talks to it: the rendered etcd server CA, the etcd client cert."""
        tls = self.server.tls
        context = ssl.create_default_context(cafile=str(tls("etcd/server-ca.crt")))
        context.load_cert_chain(str(tls("etcd/client.crt")), str(tls("etcd/client.key")))
        return context

    def local(self, server_path: str) -> Path:
        return self.server.local(server_path)

    def stop(self) -> None:
        """Kill both programs (nothing of their state outlives the test) and remove the directory."""
        for process in self.processes:
            process.kill()
            process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _readiness_inputs(run: ProgramRun) -> dict[str, Any]:
    gates = [r for r in run.of_type(READINESS_GATE) if r.name.endswith("-api-ready")]
    assert len(gates) == 1, f"expected one API readiness gate, found {[g.name for g in gates]}"
    return gates[0].plain_inputs


def _wait_for_etcd(url: str, context: ssl.SSLContext, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"etcd exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/health", context=context, timeout=5) as answer:
                if b'"health":"true"' in answer.read():
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"etcd did not become healthy in {START_TIMEOUT_SECONDS} s:\n{_tail(log)}")
        time.sleep(0.2)


def _launch(command: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start one server process with its output (stdout and stderr) in `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def start(binaries: Binaries, run: ProgramRun, workdir: Path) -> ControlPlane:
    """Lay out the first server's files in `workdir`, start etcd and kube-apiserver, and wait for the
    API with the program's readiness gate. The caller stops it (`ControlPlane.stop`)."""
    first = first_server(run)
    server = ServerDir(workdir / "server")
    lay_out(first, server)
    etcd_port, peer_port, api_port = _free_port(), _free_port(), _free_port()
    etcd_url, url = f"https://127.0.0.1:{etcd_port}", f"https://127.0.0.1:{api_port}"
    processes: list[subprocess.Popen[bytes]] = []
    plane = ControlPlane(
        run, first, server, url, etcd_url, Kubeconfig.from_program(run, url), 0, processes, workdir
    )
    try:
        etcd_log = workdir / "etcd.log"
        processes.append(
            _launch([str(binaries.etcd), *etcd_args(first.name, server, etcd_port, peer_port)], etcd_log)
        )
        _wait_for_etcd(etcd_url, plane.etcd_context(), processes[0], etcd_log)
        api_log = workdir / "kube-apiserver.log"
        processes.append(
            _launch(
                [str(binaries.kube_apiserver), *apiserver_args(first.config, server, api_port, etcd_url)],
                api_log,
            )
        )
        gate = _readiness_inputs(run)
        try:
            _, plane.readiness_attempts = wait_until_ready(
                [url],
                gate["ca_pem"],
                gate["cert_pem"],
                gate["key_pem"],
                timeout_seconds=START_TIMEOUT_SECONDS,
                interval_seconds=1.0,
            )
        except TimeoutError as err:
            raise RuntimeError(f"{err}\nkube-apiserver log:\n{_tail(api_log)}") from err
    except BaseException:
        plane.stop()
        raise
    return plane
