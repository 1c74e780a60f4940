"""Property values as the Pulumi engine carries them: secrets wrapped in a signature object."""

from __future__ import annotations

from typing import Any

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MASK = "[secret]"


def secret(value: Any) -> dict[str, Any]:
    """Wrap a plain value in the engine's secret envelope."""
    return {SECRET_SIG_KEY: SECRET_SIG_VALUE, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG_VALUE


def reveal(value: Any) -> Any:
    """The plain value with every secret envelope removed (for mocks and renderers, never for output)."""
    if is_secret(value):
        return reveal(value.get("value"))
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def mask(value: Any, keep_shape: bool = False) -> Any:
    """The value with every secret replaced by "[secret]" (for anything printed or written).

    With `keep_shape`, a secret map or list keeps its keys and length and only its leaves are masked,
    so a masked Kubernetes Secret is still a valid object.
    """
    if is_secret(value):
        inner = value.get("value")
        if keep_shape and isinstance(inner, dict | list):
            return _mask_leaves(reveal(inner))
        return MASK
    if isinstance(value, dict):
        return {key: mask(item, keep_shape) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item, keep_shape) for item in value]
    return value


def _mask_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask_leaves(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_leaves(item) for item in value]
    return MASK


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_secret(item) for item in value)
    return False
