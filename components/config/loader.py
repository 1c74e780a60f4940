"""Reads the stack's configuration once, validates all of it, and fails with one clear message.

Nothing here registers a resource, so a bad stack file stops `pulumi up` before the cloud is touched.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import ValidationError

from .base import InvalidSettingError
from .secrets import SECRET_SPECS, StackSecrets, attribute_name
from .stack import StackConfig


class ConfigError(pulumi.RunError):
    """A stack configuration problem; Pulumi prints its message without a traceback."""


@dataclass(frozen=True)
class LoadedConfig:
    config: StackConfig
    secrets: StackSecrets


def _known_keys() -> dict[str, str]:
    """Stack-file keys the program understands, camelCase, each with what it is."""
    keys = {(field.alias or name): "setting" for name, field in StackConfig.model_fields.items()}
    keys.update({spec.key: "secret" for spec in SECRET_SPECS})
    return keys


def decode_value(raw: Any) -> Any:
    """Pulumi hands every value over as a string; objects, lists, numbers and booleans are JSON."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _location(loc: tuple[int | str, ...]) -> str:
    if loc[-1:] == ("[key]",):  # a bad key of a mapping: name the mapping, the value shows the key
        loc = loc[:-2]
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _format_validation_error(project: str, err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        key = _location(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        value = problem["input"]
        cause = problem.get("ctx", {}).get("error")
        if isinstance(cause, InvalidSettingError):
            key = ".".join(filter(None, (key, cause.key)))
            message, value = cause.reason, cause.value
        where = f"{project}:{key}" if key else project
        if problem["type"] == "missing":
            lines.append(f"{where} is required but not set. Set it in Pulumi.<stack>.yaml.")
        elif problem["type"] == "extra_forbidden":
            lines.append(f"{where} is not a known setting; remove it or fix its spelling.")
        else:
            lines.append(f"{where} = {json.dumps(value, default=str)}: {message}")
    return "invalid stack configuration:\n  " + "\n  ".join(lines)


def all_project_values(project: str) -> dict[str, Any]:
    """Every config value set for this project's namespace, from the engine or the environment."""
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{project}:"
    return {key.removeprefix(prefix): value for key, value in merged.items() if key.startswith(prefix)}


def parse_stack_config(project: str, values: Mapping[str, Any], secret_keys: set[str]) -> LoadedConfig:
    """Validate raw stack values (keys without the project prefix) into typed config and secrets."""
    known = _known_keys()
    unknown = sorted(set(values) - set(known))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {project}:{close[0]}?)" if close else ""
            hints.append(f"{project}:{key} is not a known setting{hint}")
        raise ConfigError("invalid stack configuration:\n  " + "\n  ".join(hints))

    plain = {key: decode_value(value) for key, value in values.items() if known[key] == "setting"}
    try:
        config = StackConfig.model_validate(plain)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(project, err)) from None

    secrets: dict[str, pulumi.Output[str]] = {}
    problems = []
    for spec in SECRET_SPECS:
        full_key = f"{project}:{spec.key}"
        if spec.key not in values:
            if spec.required_when(config):
                problems.append(
                    f"{full_key} is required ({spec.required_because}) but not set: "
                    f"pulumi config set --secret {spec.key} <value>  # {spec.description}"
                )
            continue
        if full_key not in secret_keys:
            problems.append(
                f"{full_key} is set in plain text; store it encrypted: "
                f"pulumi config set --secret {spec.key} <value>"
            )
            continue
        secrets[attribute_name(spec.key)] = pulumi.Output.secret(str(values[spec.key]))
    if problems:
        raise ConfigError("invalid stack configuration:\n  " + "\n  ".join(problems))
    return LoadedConfig(config, StackSecrets(**secrets))


def load_stack_config() -> LoadedConfig:
    """Read this stack's configuration from the running Pulumi program (engine or mocks)."""
    project = pulumi.get_project()
    secret_keys = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    return parse_stack_config(project, all_project_values(project), secret_keys)
