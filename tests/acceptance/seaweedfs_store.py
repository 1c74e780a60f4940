"""A real SeaweedFS on loopback: one master, volume servers, and a filer serving the S3 API, the layout
the `seaweedfs` chart deploys (components/object_store/seaweedfs.py), started from the `weed` that
`scripts/build-seaweedfs.sh` builds. Like the chart's 4.44 templates, one replication setting goes to
the master (-defaultReplication) and the filer (-defaultReplicaPlacement)."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build-seaweedfs.sh"
START_TIMEOUT_SECONDS = 120


def build_weed() -> Path:
    """Runs the project's build script (a no-op when the cache holds this version already)."""
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{BUILD_SCRIPT.relative_to(REPO)} failed (it needs Go and the Go module proxy):\n"
            f"{result.stderr[-4000:]}"
        )
    return Path(result.stdout.split()[-1])


def _free_ports(count: int) -> list[int]:
    """Ports free now, for the HTTP and gRPC ports of the master and the volume servers."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def _port_with_grpc_beside() -> int:
    """A free port P with P + 10000 free too: the S3 gateway dials the filer's gRPC there, whatever
    -port.grpc says (SeaweedFS's convention for an address without an explicit gRPC port)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with contextlib.suppress(OSError), socket.socket() as http, socket.socket() as grpc:
            http.bind(("127.0.0.1", port))
            grpc.bind(("127.0.0.1", port + 10000))
            return port
    raise RuntimeError("no free port P with P + 10000 free on 127.0.0.1")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@dataclass
class SeaweedStore:
    folder: Path
    weed: Path
    master: str = ""
    s3: str = ""
    volume_servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(self.weed), "-logtostderr=true", *args], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.processes.append(process)
        return process

    def _wait(self, what: str, ready: Any, log: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError, KeyError):
                if ready():
                    return
            time.sleep(0.3)
        raise RuntimeError(
            f"SeaweedFS {what} not ready in {START_TIMEOUT_SECONDS} s:\n{_tail(self.folder / log)}"
        )

    def volume_server_count(self) -> int:
        topology = _get(f"{self.master}/dir/status")["Topology"]
        return sum(
            len(rack.get("DataNodes") or [])
            for dc in topology.get("DataCenters") or []
            for rack in dc.get("Racks") or []
        )

    def stop_volume_server(self, index: int) -> None:
        """Stop one volume server as a node loss would, and wait until the master has dropped it."""
        process = self.volume_servers[index]
        before = self.volume_server_count()
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        self._wait(
            "master dropping a volume server", lambda: self.volume_server_count() < before, "master.log"
        )

    def start(self, replication: str, volume_servers: int, s3_config: Path) -> None:
        master_http, master_grpc = _free_ports(2)
        self.master = f"http://127.0.0.1:{master_http}"
        master_address = f"127.0.0.1:{master_http}.{master_grpc}"
        (self.folder / "master").mkdir()
        self._start(
            "master",
            "master",
            "-ip=127.0.0.1",
            f"-port={master_http}",
            f"-port.grpc={master_grpc}",
            f"-mdir={self.folder / 'master'}",
            "-peers=none",
            f"-defaultReplication={replication}",
            "-volumeSizeLimitMB=64",
            "-telemetry=false",  # the master reports to a public address by default; tests stay on loopback
        )
        self._wait("master", lambda: _get(f"{self.master}/dir/status")["Topology"] is not None, "master.log")
        for number in range(volume_servers):
            http, grpc = _free_ports(2)
            data = self.folder / f"volume{number}"
            data.mkdir()
            self.volume_servers.append(
                self._start(
                    f"volume{number}",
                    "volume",
                    "-ip=127.0.0.1",
                    f"-port={http}",
                    f"-port.grpc={grpc}",
                    f"-dir={data}",
                    "-max=16",
                    f"-master={master_address}",
                )
            )
        self._wait("volume servers", lambda: self.volume_server_count() == volume_servers, "volume0.log")
        filer_http = _port_with_grpc_beside()
        s3_http, s3_grpc = _free_ports(2)
        self.s3 = f"http://127.0.0.1:{s3_http}"
        (self.folder / "filer").mkdir()
        self._start(
            "filer",
            "filer",
            "-ip=127.0.0.1",
            f"-port={filer_http}",
            f"-master={master_address}",
            f"-defaultStoreDir={self.folder / 'filer'}",
            f"-defaultReplicaPlacement={replication}",
            f"-localSocket={self.folder / 'filer.sock'}",
            "-s3",
            f"-s3.port={s3_http}",
            f"-s3.port.grpc={s3_grpc}",
            f"-s3.config={s3_config}",
            f"-s3.localSocket={self.folder / 's3.sock'}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        )

        def s3_answers() -> bool:
            socket.create_connection(("127.0.0.1", s3_http), timeout=2).close()
            return True

        self._wait("filer and S3 gateway", s3_answers, "filer.log")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def seaweedfs(
    folder: Path, weed: Path, *, replication: str, volume_servers: int, s3_config: Path
) -> Iterator[SeaweedStore]:
    folder.mkdir(parents=True, exist_ok=True)
    store = SeaweedStore(folder, weed)
    try:
        store.start(replication, volume_servers, s3_config)
        yield store
    finally:
        store.stop()
