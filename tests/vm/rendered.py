"""What the program renders for a server, read from a real program run (offline.program.run_program)."""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import yaml

from components.config.network import NetworkConfig
from offline.program import ProgramRun, Registration
from offline.wire import reveal


def servers_with_role(run: ProgramRun, role: str) -> list[Registration]:
    return [
        server
        for server in run.of_type("hcloud:index/server:Server")
        if server.plain_inputs["labels"].get("platform/role") == role
    ]


def file_content(entry: dict[str, Any]) -> str:
    """A write_files entry's content as cloud-init writes it (plain, base64, or gzip+base64)."""
    content = entry["content"]
    encoding = str(entry.get("encoding", "")).lower()
    if encoding in ("gz+b64", "gzip+base64", "gz+base64", "gzip+b64"):
        return gzip.decompress(base64.b64decode(content)).decode()
    if encoding in ("b64", "base64"):
        return base64.b64decode(content).decode()
    if encoding in ("gz", "gzip"):
        return gzip.decompress(content if isinstance(content, bytes) else content.encode()).decode()
    return str(content)


@dataclass(frozen=True)
class RenderedServer:
    """One server of the program: its exact user-data, private address and private network."""

    name: str
    user_data: str
    private_ip: str
    private_network: str

    @property
    def document(self) -> dict[str, Any]:
        return yaml.safe_load(self.user_data)

    def files(self) -> dict[str, dict[str, Any]]:
        """path -> write_files entry."""
        return {entry["path"]: entry for entry in self.document["write_files"]}

    def file(self, path: str) -> str:
        return file_content(self.files()[path])


def rendered_server(run: ProgramRun, server: Registration) -> RenderedServer:
    (network,) = server.plain_inputs["networks"]
    network_config = run.settings.config.get("platform:network")
    cidr = NetworkConfig.model_validate(json.loads(network_config) if network_config else {}).cidr
    private_ip = network["ip"]
    assert ipaddress.ip_address(private_ip) in ipaddress.ip_network(cidr)
    return RenderedServer(
        server.plain_inputs.get("name", server.name), server.plain_inputs["userData"], private_ip, cidr
    )


def output(run: ProgramRun, name: str, key: str) -> Any:
    """An output of a resource the program registered (a password, a certificate)."""
    return reveal(run.by_name(name).outputs[key])
