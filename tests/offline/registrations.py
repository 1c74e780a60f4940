"""Hand-made registrations for unit tests of the gate and the estimate."""

from __future__ import annotations

from typing import Any

from offline.program import Registration

FIREWALL = "hcloud:index/firewall:Firewall"
SERVER = "hcloud:index/server:Server"


def registration(
    typ: str, name: str, inputs: dict[str, Any], custom: bool = True, **fields: Any
) -> Registration:
    return Registration(
        urn=f"urn:pulumi:test::platform::{typ}::{name}",
        type=typ,
        name=name,
        parent=fields.pop("parent", ""),
        custom=custom,
        provider=fields.pop("provider", ""),
        dependencies=fields.pop("dependencies", []),
        inputs=inputs,
        protect=False,
        ignore_changes=[],
        delete_before_replace=False,
        additional_secret_outputs=[],
        **fields,
    )


def ssh_rule(*sources: str) -> dict[str, Any]:
    return {"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": list(sources)}
