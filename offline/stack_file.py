"""Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the CLI hands them to a program.

Offline there is no passphrase or KMS, so encrypted values (`secure: v1:…`) and required secrets that
are not set are replaced by generated stand-ins, and `stand_ins` says which, for the report.
Overrides change the stack's config for one run, like `pulumi config set --path`, without editing the
file: `cluster.agentPools[0].count` addresses a nested value, a bare key means this project's key.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from components.config import SECRET_SPECS, StackConfig
from components.config.loader import decode_value

from .engine_config import StackValue, validate_stack_config

_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


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


def _stand_in(stack: str, key: str, example: str = "") -> str:
    """A unique value for one secret of one stack, the same in every run (so two runs of the program can
    be compared down to the Secrets); shaped like the spec's example (a URL stays a URL) when it has one."""
    token = hashlib.sha256(f"offline-stand-in\x1f{stack}\x1f{key}".encode()).hexdigest()[:32]
    return f"{example}-{token}" if example else f"offline-stand-in-{token}"


def parse_path(path: str, project: str) -> tuple[str, list[str | int]]:
    """`cluster.agentPools[0].count` -> (`platform:cluster`, ["agentPools", 0, "count"])."""
    namespace, _, rest = path.rpartition(":") if ":" in path.split(".", 1)[0] else (project, "", path)
    parts: list[str | int] = []
    position = 0
    while position < len(rest):
        match = _SEGMENT.match(rest, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot parse config path {path!r} (expected e.g. cluster.agentPools[0].count)")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if not parts or not isinstance(parts[0], str):
        raise ValueError(f"config path {path!r} must start with a key name")
    head, *tail = parts
    return f"{namespace or project}:{head}", tail


def _set_path(container: Any, path: list[str | int], value: Any, where: str) -> Any:
    """A copy of `container` with `value` at `path` (lists and maps are created on the way); a value of
    None at a map key removes the key."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        items = list(container) if isinstance(container, list) else []
        if key > len(items):
            raise ValueError(f"{where}: index {key} is past the end of a list of {len(items)}")
        current = items[key] if key < len(items) else None
        updated = _set_path(current, rest, value, where)
        if key == len(items):
            items.append(updated)
        else:
            items[key] = updated
        return items
    mapping = dict(container) if isinstance(container, dict) else {}
    if value is None and not rest:
        mapping.pop(key, None)
    else:
        mapping[key] = _set_path(mapping.get(key), rest, value, where)
    return mapping


def parse_assignments(items: Sequence[str], parse_json: bool) -> dict[str, Any]:
    """`PATH=VALUE` items of `--set`/`--secret` as a map; VALUE is JSON when it parses as JSON."""
    result: dict[str, Any] = {}
    for item in items:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise ValueError(f"--set/--secret takes PATH=VALUE, got {item!r}")
        value: Any = raw
        if parse_json:
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
        result[path] = value
    return result


def apply_overrides(raw: dict[str, Any], project: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(raw)
    for path, value in overrides.items():
        key, rest = parse_path(path, project)
        if value is None and not rest:
            result.pop(key, None)
            continue
        current = result.get(key)
        if isinstance(current, str) and rest:
            current = decode_value(current)
        result[key] = _set_path(current, rest, value, path)
    return result


def _required_secret_keys(project: str, config: Mapping[str, str], declared: Mapping[str, Any]) -> list[str]:
    """Secrets the stack needs. When the settings don't validate, the program reports that itself;
    the secrets Pulumi.yaml demands of every stack are still stood in, so the engine's check passes
    and the program's own message is the one the user sees."""
    prefix = f"{project}:"
    plain = {k.removeprefix(prefix): decode_value(v) for k, v in config.items() if k.startswith(prefix)}
    plain = {k: v for k, v in plain.items() if k in StackConfig.model_fields or k in _aliases()}
    try:
        parsed = StackConfig.model_validate(plain)
    except ValidationError:
        return [key for key, spec in declared.items() if isinstance(spec, dict) and spec.get("secret")]
    return [spec.key for spec in SECRET_SPECS if spec.required_when(parsed)]


_EXAMPLES = {spec.key: spec.offline_example for spec in SECRET_SPECS}


def _aliases() -> set[str]:
    return {f.alias for f in StackConfig.model_fields.values() if f.alias}


def read_stack(
    project_dir: Path,
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, str] | None = None,
    *,
    stand_in_missing_secrets: bool = True,
) -> StackSettings:
    """The stack's config as the SDK expects it, with overrides applied and stand-ins for secrets
    (encrypted ones always; required ones that are not set unless `stand_in_missing_secrets` is off).

    A stand-in for a missing secret stands for the README's `pulumi config set --secret`; the result then
    goes through the engine's checks of Pulumi.yaml's `config:` block (offline.engine_config), so a stack
    the engine would refuse raises EngineConfigError (a ValueError) with the engine's message."""
    project_file = project_dir / "Pulumi.yaml"
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        known = sorted(
            p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml")
        )
        raise FileNotFoundError(f"no stack file {stack_file.name}; stacks here: {', '.join(known)}")
    project_doc = yaml.load(project_file.read_text(), Loader=yaml.CSafeLoader)
    project = project_doc["name"]
    raw = (yaml.load(stack_file.read_text(), Loader=yaml.CSafeLoader) or {}).get("config") or {}
    raw = apply_overrides(raw, project, {**(overrides or {}), **(secret_overrides or {})})
    forced_secret = {parse_path(path, project)[0] for path in (secret_overrides or {})}

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    stand_ins: dict[str, str] = {}
    engine_view: dict[str, StackValue] = {}
    for key, value in raw.items():
        engine_view[key] = StackValue.from_yaml(value)
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = _stand_in(stack, key)
            secret_keys.append(key)
            stand_ins[key] = "encrypted in the stack file; replaced by a generated stand-in"
        else:
            config[key] = _as_config_string(value)
            if key in forced_secret:
                secret_keys.append(key)
                engine_view[key] = StackValue(config[key], secure=True, object=False)
    for spec_key in (
        _required_secret_keys(project, config, project_doc.get("config") or {})
        if stand_in_missing_secrets
        else ()
    ):
        key = f"{project}:{spec_key}"
        if key not in config:
            config[key] = _stand_in(stack, key, _EXAMPLES.get(spec_key, ""))
            secret_keys.append(key)
            stand_ins[key] = "required but not set in the stack file; a generated stand-in is used offline"
            engine_view[key] = StackValue(config[key], secure=True, object=False)
    merged = validate_stack_config(project_doc, stack, engine_view)
    for key in merged.keys() - engine_view.keys():  # the engine hands Pulumi.yaml's defaults to the program
        config[key] = merged[key].text
    return StackSettings(project, stack, config, secret_keys, stand_ins)


def stack_config(settings: StackSettings) -> StackConfig:
    """The stack's typed settings (secrets left out), validated as the program validates them."""
    prefix = f"{settings.project}:"
    secret_keys = set(settings.secret_keys)
    plain = {
        key.removeprefix(prefix): decode_value(value)
        for key, value in settings.config.items()
        if key.startswith(prefix)
        and key not in secret_keys
        and (key.removeprefix(prefix) in StackConfig.model_fields or key.removeprefix(prefix) in _aliases())
    }
    return StackConfig.model_validate(plain)
