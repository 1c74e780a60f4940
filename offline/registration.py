"""One RegisterResource call as the engine receives it: what the program run records, the gate sends to
the policy pack (in the preview's worker, offline/worker.py, which loads only this of the program's
side) and the report prices and lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .wire import is_secret, reveal, secret


@dataclass
class Registration:
    """One RegisterResource call, as the engine receives it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    dependencies: list[str]
    inputs: dict[str, Any]
    """Wire form: secrets are signature envelopes (see offline.wire)."""
    protect: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    additional_secret_outputs: list[str]
    aliases: list[dict[str, Any]] = field(default_factory=list)
    """As the SDK sends them: `{"urn": ...}` or `{"spec": {"name", "type", "parentUrn" | "noParent"}}`;
    the engine resolves them against the state (tests/refactor does the same)."""
    options: dict[str, Any] = field(default_factory=dict)
    """The other resource options the engine keeps (customTimeouts, replaceOnChanges, deletedWith, ...)."""
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    unseen: bool = False
    """A Kubernetes resource previewed under a provider whose configuration is unknown: the engine
    never calls pulumi-kubernetes for it and its outputs are empty (fresh mode only)."""

    @property
    def plain_inputs(self) -> dict[str, Any]:
        return reveal(self.inputs)

    def plain(self, key: str, default: Any = None) -> Any:
        """One input without secret envelopes (for decisions such as pricing, never for output)."""
        return reveal(self.inputs.get(key, default))

    @property
    def provider_urn(self) -> str:
        """URN of the explicit provider (the reference is `<urn>::<id>`), or "" for the default one."""
        return self.provider.rsplit("::", 1)[0] if self.provider else ""

    @property
    def final_outputs(self) -> dict[str, Any]:
        """Outputs as the engine stores them: inputs and provider results, with the resource's
        `additional_secret_outputs` (and every output whose input was secret) wrapped as secrets.
        An unseen resource has none (pulumi/pulumi provider_plugin.go: Create in preview with unknown
        provider config hands back an empty property map)."""
        if self.unseen:
            return {}
        merged = {**self.inputs, **self.outputs}
        secret_keys = set(self.additional_secret_outputs) | {
            k for k, v in self.inputs.items() if is_secret(v)
        }
        return {k: secret(reveal(v)) if k in secret_keys else v for k, v in merged.items()}
