"""Reading resource properties the way the Pulumi engine hands them to a policy pack.

What arrives (pulumi/research notes §3, and `pulumi_policy.policy._PolicyAnalyzerServicer`):
- keys are the provider's wire names (camelCase: `sourceIps`, `deleteProtection`), never SDK snake_case;
- every number is a float (protobuf `Struct` has no integers): a port is `22.0`, replicas `2.0`;
- values not known during preview are sentinel strings, and the props are wrapped in
  `unknown_checking_proxy`, so reading one raises `UnknownValueError`;
- secrets arrive unwrapped in `Analyze` (the SDK drops the secret marker before a policy sees them).

`peek` walks a path and turns "unknown" into the `UNKNOWN` sentinel instead of an exception, for the
places where a policy has a sensible answer without the value (an attached firewall whose id is not
known yet is still attached). Where a policy cannot judge without the value it reads the props
directly and lets the SDK report "can't run during preview".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import UnknownValueError


class _Unknown:
    """A value the engine does not know yet (preview of a resource that does not exist)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = _Unknown()


def peek(obj: Any, *path: str | int, default: Any = None) -> Any:
    """The value at `path` under `obj`, `default` when absent, `UNKNOWN` when not known yet."""
    current = obj
    for step in path:
        try:
            if isinstance(step, int):
                if not is_list(current) or step >= len(current):
                    return default
                current = current[step]
            else:
                if not isinstance(current, Mapping) or step not in current:
                    return default
                current = current[step]
        except UnknownValueError:
            return UNKNOWN
    return default if current is None else current


def is_list(value: Any) -> bool:
    """True for a JSON array as the proxy presents it (a Sequence that is not a string)."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def items(value: Any) -> Iterator[Any]:
    """The elements of a JSON array, skipping elements not known yet; nothing for a non-array."""
    if not is_list(value):
        return
    for index in range(len(value)):
        element = peek(value, index)
        if element is not UNKNOWN:
            yield element


def has_unknown(value: Any) -> bool:
    """True when the value, or an element of it (a JSON array), is not known yet."""
    if value is UNKNOWN:
        return True
    return is_list(value) and any(peek(value, index) is UNKNOWN for index in range(len(value)))


def as_int(value: Any) -> int | None:
    """A number from the wire (always a float there) as an int; None when absent or not a number."""
    if isinstance(value, bool) or value is UNKNOWN:
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def str_map(value: Any) -> dict[str, str]:
    """A string map (labels, annotations) with unknown entries left out."""
    if not isinstance(value, Mapping):
        return {}
    result: dict[str, str] = {}
    for key in value:
        entry = peek(value, key)
        if isinstance(entry, str):
            result[key] = entry
    return result
