"""Helpers to read what a server's cloud-init would write to disk."""

from __future__ import annotations

import yaml

from offline.program import Registration


def written_files(server: Registration) -> dict[str, dict]:
    """path -> write_files entry of a server's user-data."""
    document = yaml.safe_load(server.plain_inputs["userData"])
    return {entry["path"]: entry for entry in document["write_files"]}


def k3s_config(server: Registration) -> dict:
    return yaml.safe_load(written_files(server)["/etc/rancher/k3s/config.yaml"]["content"])
