"""Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the CLI hands them to a program."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.config import SECRET_SPECS


@dataclass
class StackSettings:
    project: str
    stack: str
    config: dict[str, str]
    """Fully qualified keys (`platform:location`) to the string the SDK expects (JSON for objects)."""
    secret_keys: list[str]
    stand_ins: dict[str, str] = field(default_factory=dict)
    """Secret keys replaced by generated values, with the reason, for the report."""


def _as_config_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def read_stack(
    project_dir: Path,
    stack: str,
    overrides: dict[str, Any] | None = None,
    *,
    stand_in_missing_secrets: bool = True,
) -> StackSettings:
    """The stack's config as the SDK receives it; `overrides` (None deletes a key) win over the file."""
    project_file = project_dir / "Pulumi.yaml"
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        known = sorted(
            p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml")
        )
        raise FileNotFoundError(f"no stack file {stack_file.name}; stacks here: {', '.join(known)}")
    project = yaml.safe_load(project_file.read_text())["name"]
    raw = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    for key, value in (overrides or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if value is None:
            raw.pop(full_key, None)
        else:
            raw[full_key] = value

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    stand_ins: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = f"offline-stand-in-{secrets.token_hex(16)}"
            secret_keys.append(key)
            stand_ins[key] = "encrypted in the stack file; replaced by a generated stand-in"
        else:
            config[key] = _as_config_string(value)
    for spec in SECRET_SPECS if stand_in_missing_secrets else ():
        key = f"{project}:{spec.key}"
        if key not in config:
            config[key] = f"offline-stand-in-{secrets.token_hex(16)}"
            secret_keys.append(key)
            stand_ins[key] = "not set in the stack file; a generated stand-in is used offline"
    return StackSettings(project, stack, config, secret_keys, stand_ins)
