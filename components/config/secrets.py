"""Secret stack settings: set with `pulumi config set --secret`, kept as Pulumi secrets to the end.

Secrets are top-level keys so that every other section stays plain data that can be validated before
anything is registered. Each one says when it is required.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from .stack import StackConfig


@dataclass(frozen=True)
class SecretSpec:
    key: str
    description: str
    required_when: Callable[[StackConfig], bool] = lambda _config: True
    required_because: str = "always"


SECRET_SPECS: tuple[SecretSpec, ...] = (
    SecretSpec(
        "hcloudToken",
        "Hetzner Cloud API token (read/write) for Pulumi and for the in-cluster CCM and CSI driver.",
    ),
    SecretSpec(
        "objectStorageAccessKey",
        "Hetzner Object Storage access key (Cloud Console > Security > S3 credentials).",
        lambda c: c.object_store.mode == "hetzner",
        "objectStore.mode is hetzner",
    ),
    SecretSpec(
        "objectStorageSecretKey",
        "Hetzner Object Storage secret key, shown once when the access key is created.",
        lambda c: c.object_store.mode == "hetzner",
        "objectStore.mode is hetzner",
    ),
)


@dataclass(frozen=True)
class StackSecrets:
    """The secret values of a stack, each a secret `pulumi.Output[str]` or None when not set."""

    values: dict[str, pulumi.Output[str]]

    def get(self, key: str) -> pulumi.Output[str] | None:
        return self.values.get(key)

    def require(self, key: str) -> pulumi.Output[str]:
        value = self.values.get(key)
        if value is None:  # the loader already refused a missing required secret; this guards misuse
            raise KeyError(f"secret {key} was not loaded; declare it in SECRET_SPECS")
        return value
