"""The Pulumi engine's checks of `Pulumi.yaml`'s `config:` block against a stack's config.

`pulumi preview` and `pulumi up` run these before the program starts, so a stack that fails them never
gets as far as the program's own config errors. The rules follow pulumi/pulumi:

- `sdk/go/common/workspace/project.go` (`Project.Validate`, `ValidateConfigValue`, `InferFullTypeName`)
  and `project.json` (the allowed attributes and types of a declaration);
- `pkg/workspace/config.go` (`mergeConfig`): keys visited in sorted order; a project key with neither a
  `default` nor a `value` that the stack does not set is *missing* (all missing keys reported together,
  sorted, after the loop); a default fills an unset key; a typed key the stack sets must be encrypted
  when declared `secret: true` and must match the declared type; the first such error stops the check;
- `sdk/go/common/resource/config/value.go`: how a stack file value is read (a scalar is a string, a
  one-key `{secure: ...}` map is an encrypted string, anything else is a JSON object, encrypted when it
  holds an encrypted part).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIMPLE_TYPES = ("string", "integer", "boolean", "array")
_DECLARATION_KEYS = {"type", "items", "description", "secret", "default", "value"}


class EngineConfigError(ValueError):
    """The engine would refuse the project or the stack's config with this message."""


@dataclass(frozen=True)
class StackValue:
    """One stack config value as the engine holds it (`config.Value`)."""

    text: str
    """The string, or the JSON of an object."""
    secure: bool
    object: bool

    @classmethod
    def from_yaml(cls, raw: Any) -> StackValue:
        """A value as written in `Pulumi.<stack>.yaml`."""
        if not isinstance(raw, dict | list):
            return cls(_scalar_text(raw), secure=False, object=False)
        if isinstance(raw, dict) and _is_secure(raw):
            return cls(raw["secure"], secure=True, object=False)
        return cls(json.dumps(raw), secure=_has_secure(raw), object=True)

    def content(self) -> Any:
        """What the type check sees: the string, or the decoded object (numbers as floats)."""
        return json.loads(self.text, parse_int=float) if self.object else self.text


def _scalar_text(raw: Any) -> str:
    """A YAML scalar read into a Go string keeps its source spelling; the common cases are these."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _is_secure(raw: Any) -> bool:
    return isinstance(raw, dict) and len(raw) == 1 and isinstance(raw.get("secure"), str)


def _has_secure(raw: Any) -> bool:
    if _is_secure(raw):
        return True
    if isinstance(raw, dict):
        return any(_has_secure(v) for v in raw.values())
    if isinstance(raw, list):
        return any(_has_secure(v) for v in raw)
    return False


def type_name(type_: str, items: Mapping[str, Any] | None) -> str:
    """`InferFullTypeName`: `array<string>` for an array of strings."""
    if items is not None:
        return f"array<{type_name(items.get('type', ''), items.get('items'))}>"
    return type_


def value_matches(type_: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """`ValidateConfigValue`: strings for string; whole numbers or digit strings for integer;
    true/false (or their strings) for boolean; a list whose items all match for array."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        if isinstance(value, str):
            try:
                int(value, 10)
            except ValueError:
                return False
            return True
        return False
    if type_ == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(value_matches(items.get("type", ""), items.get("items"), item) for item in value)


def _namespaced_by_project(project: str, key: str) -> bool:
    return ":" not in key or key.startswith(f"{project}:")


def check_project(project: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's config declarations, after the checks `pulumi` makes when it loads Pulumi.yaml.

    Shorthand (`key: value`) becomes `{default: value}` for this project's keys and `{value: value}`
    for another namespace's, as `RewriteShorthandConfigValues` does.
    """
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise EngineConfigError("project is missing a non-empty string 'name' attribute")
    declared: dict[str, dict[str, Any]] = {}
    for key, declaration in (project.get("config") or {}).items():
        raw = declaration
        if not isinstance(raw, dict):
            raw = {"default": raw} if _namespaced_by_project(name, key) else {"value": raw}
        unknown = sorted(set(raw) - _DECLARATION_KEYS)
        if unknown:
            raise EngineConfigError(f"#/config/{key}: additionalProperties {unknown} not allowed")
        type_ = raw.get("type")
        if type_ is not None and type_ not in SIMPLE_TYPES:
            raise EngineConfigError(f"#/config/{key}/type: value must be one of {', '.join(SIMPLE_TYPES)}")
        if "default" in raw and "value" in raw:
            raise EngineConfigError(
                f"project config '{key}' cannot have both a 'default' and 'value' attribute"
            )
        if _namespaced_by_project(name, key):
            if type_ == "array" and raw.get("items") is None:
                raise EngineConfigError(
                    f"The configuration key '{key}' declares an array "
                    "but does not specify the underlying type via the 'items' attribute"
                )
            default = raw.get("default")
            if (
                type_ is not None
                and default is not None
                and not value_matches(type_, raw.get("items"), default)
            ):
                raise EngineConfigError(
                    f"The default value specified for configuration key '{key}' is not of the expected "
                    f"type '{type_name(type_, raw.get('items'))}'"
                )
        elif type_ is not None:
            raise EngineConfigError(
                f"Configuration key '{key}' is not namespaced by the project and should not define a type"
            )
        declared[key] = raw
    return declared


def _missing_message(stack: str, keys: list[str]) -> str:
    keys = sorted(keys)
    if len(keys) == 1:
        listed = f"'{keys[0]}'"
    else:
        listed = ", ".join(f"'{k}'" for k in keys[:-2])
        listed = (listed + ", " if listed else "") + f"'{keys[-2]}' and '{keys[-1]}'"
    return f"Stack '{stack}' is missing configuration {'value' if len(keys) == 1 else 'values'} {listed}"


def validate_stack_config(
    project: Mapping[str, Any], stack: str, values: Mapping[str, StackValue]
) -> dict[str, StackValue]:
    """The stack's config with the project's defaults merged in, or EngineConfigError with the
    message `pulumi preview` prints. `values` maps fully qualified keys (`platform:location`)."""
    name = project["name"]
    declared = check_project(project)
    merged = dict(values)
    missing: list[str] = []
    for key in sorted(declared):
        spec = declared[key]
        full_key = key if ":" in key else f"{name}:{key}"
        found = full_key in values
        has_default, has_value = spec.get("default") is not None, spec.get("value") is not None
        if not found and not has_default and not has_value and full_key.split(":", 1)[0] == name:
            missing.append(key)
            continue
        if not found and (has_default or has_value):
            raw = spec["default"] if has_default else spec["value"]
            merged[full_key] = StackValue.from_yaml(raw)
            continue
        if spec.get("type") is None:
            continue
        value = values[full_key]
        if spec.get("secret") and not value.secure:
            raise EngineConfigError(
                f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
            )
        if not value_matches(spec["type"], spec.get("items"), value.content()):
            raise EngineConfigError(
                f"Stack '{stack}' with configuration key '{key}' must be of type "
                f"'{type_name(spec['type'], spec.get('items'))}'"
            )
    if missing:
        raise EngineConfigError(_missing_message(stack, missing))
    return merged
