"""The cluster's admin API as the program's dynamic resources reach it: every server's endpoint, the
server CA, and the admin client certificate and key.

`AdminApiResource` is the base of the readiness gate (components/k3s/readiness.py) and the cloud-objects
teardown (components/cluster_addons/teardown.py): both get the same five inputs, the key as a secret
input and a secret output. Their providers read these inputs by the names in `INPUTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

INPUTS = ("endpoints", "ca_pem", "cert_pem", "key_pem", "timeout_seconds")
"""What a provider of an `AdminApiResource` is given, in its `props`."""


@dataclass(frozen=True)
class AdminApi:
    """Where the admin API answers and the credentials it accepts."""

    endpoints: pulumi.Output[list[str]]
    """Every k3s server's `https://<public address>:6443`."""
    ca_pem: pulumi.Output[str]
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]


class AdminApiResource(Resource):
    """A dynamic resource whose provider talks to the admin API within `timeout_seconds`."""

    def __init__(
        self,
        provider: ResourceProvider,
        name: str,
        api: AdminApi,
        *,
        timeout_seconds: int,
        outputs: dict[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`outputs`: what the provider reports beyond its inputs (as None, for the SDK to declare)."""
        super().__init__(
            provider,
            name,
            {
                "endpoints": api.endpoints,
                "ca_pem": api.ca_pem,
                "cert_pem": api.cert_pem,
                "key_pem": pulumi.Output.secret(api.key_pem),
                "timeout_seconds": timeout_seconds,
                **(outputs or {}),
            },
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["key_pem"])),
        )
