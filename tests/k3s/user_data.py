"""Helpers to read what a server's cloud-init would write to disk."""

from __future__ import annotations

import yaml

from offline.program import ProgramRun, Registration

from ..cloud_init_files import written_files as _written_files


def written_files(server: Registration) -> dict[str, dict]:
    """path -> write_files entry of a server's user-data, contents as written on disk."""
    return _written_files(server.plain_inputs["userData"])


def k3s_config(server: Registration) -> dict:
    return yaml.safe_load(written_files(server)["/etc/rancher/k3s/config.yaml"]["content"])


def k3s_nodes(run: ProgramRun) -> list[Registration]:
    """The k3s servers and agents (not the database VM or anything else that is a server)."""
    return [
        server
        for server in run.of_type("hcloud:index/server:Server")
        if server.plain_inputs["labels"].get("platform/role") in ("control-plane", "agent")
    ]
