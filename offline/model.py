"""What a preview knows about one registered resource, in the engine's own vocabulary.

Property maps are kept in *wire form*: the camelCase keys the provider schemas use, secrets as the
engine's secret envelopes and unknown values as the engine's unknown sentinel. That is the form the
Analyzer protocol carries, so the policy gate sends it unchanged, and every renderer masks secrets
from the same envelopes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
"""Key that marks a map as a special value (pulumi sdk/go/common/resource/properties.go)."""
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
"""Signature of a secret value."""
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's sentinel for a value that is only known after `pulumi up`."""
MASK = "[secret]"


def secret(value: Any) -> dict[str, Any]:
    """Wrap a plain value in the engine's secret envelope."""
    return {SPECIAL_SIG_KEY: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SPECIAL_SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    """The plain value, with every secret envelope removed (for files that must carry the real thing)."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def mask(value: Any) -> Any:
    """The value with every secret replaced by `[secret]` (for anything printed or written as a report)."""
    if is_secret(value):
        return MASK
    if isinstance(value, Mapping):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_secret(v) for v in value)
    return False


@dataclass(frozen=True)
class Resource:
    """One resource the program registered, as the engine would see it during `pulumi preview`."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    id: str | None = None
    provider: str | None = None
    """Provider reference `<provider urn>::<provider id>`, or None for the default provider."""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    protect: bool = False

    @property
    def provider_urn(self) -> str | None:
        return self.provider.rsplit("::", 1)[0] if self.provider else None

    def plain(self, key: str, default: Any = None) -> Any:
        """An input without secret envelopes (for pricing and rendering decisions, never for output)."""
        return reveal(self.inputs.get(key, default))
