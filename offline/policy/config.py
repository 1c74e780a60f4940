"""Policy pack configuration, reconciled the way the CLI does before it calls `Configure`.

pulumi/pulumi `ReconcilePolicyPackConfig`: every policy starts from its own enforcement level and the
`default`s of its config schema, then the pack's `initialConfig`, then the `--policy-pack-config` file
(`{"all": "<level>", "<policy>": "<level>" | {"enforcementLevel": …, "<key>": …}}`); the result is
validated against the policy's schema, with `enforcementLevel` added to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from .pack import PolicyPackError

LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
LEVEL_NAMES: dict[int, str] = {number: name for name, number in LEVELS.items()}


@dataclass(frozen=True)
class PolicySetting:
    enforcement_level: str
    properties: Mapping[str, Any]


def load_config_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise PolicyPackError(f"policy pack config {path} does not exist") from None
    except ValueError as err:
        raise PolicyPackError(f"policy pack config {path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise PolicyPackError(f"policy pack config {path} must be a JSON object of policy name to settings")
    return data


def _split(value: Any, where: str) -> tuple[str | None, dict[str, Any]]:
    if isinstance(value, str):
        return value, {}
    if isinstance(value, Mapping):
        props = {k: v for k, v in value.items() if k != "enforcementLevel"}
        return value.get("enforcementLevel"), props
    raise PolicyPackError(f"{where} must be an enforcement level or an object, got {value!r}")


def _validate(
    instance: Mapping[str, Any], schema: Mapping[str, Any], pack: str, policy: str, source: str
) -> None:
    """Validate as the engine does (pulumi/pulumi analyzer `validatePolicyConfig`: `gojsonschema.Validate`),
    whose library implements drafts 4, 6 and 7: draft 7 here (a policy's schema names no `$schema`).
    A schema that is not valid JSON Schema is the pack's fault; an invalid config is `source`'s."""
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as err:
        raise PolicyPackError(f"pack {pack}: policy {policy}'s config schema: {err.message}") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(instance))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(root)"
        raise PolicyPackError(f"{source}: policy {policy} config {where}: {error.message}")


def reconcile(
    info: analyzer_pb2.AnalyzerInfo, file_config: Mapping[str, Any], source: str
) -> dict[str, PolicySetting]:
    """Every policy's level and config, validated against their schemas."""
    names = {policy.name for policy in info.policies}
    unknown = sorted(set(file_config) - names - {"all"})
    if unknown:
        raise PolicyPackError(
            f"{source} configures {', '.join(unknown)}, which pack {info.name} does not have; "
            f"its policies are: {', '.join(sorted(names))}"
        )
    all_level, _ = _split(file_config.get("all"), f"{source}: all") if "all" in file_config else (None, {})
    settings = {}
    for policy in info.policies:
        schema = (
            json_format.MessageToDict(policy.configSchema.properties)
            if policy.HasField("configSchema")
            else {}
        )
        level = LEVEL_NAMES[policy.enforcementLevel]
        props: dict[str, Any] = {k: v["default"] for k, v in schema.items() if "default" in v}
        initial = info.initialConfig.get(policy.name)
        if initial is not None:
            level = LEVEL_NAMES[initial.enforcementLevel] if initial.enforcementLevel else level
            props.update(json_format.MessageToDict(initial.properties))
        level = all_level or level
        if policy.name in file_config:
            file_level, file_props = _split(file_config[policy.name], f"{source}: {policy.name}")
            level = file_level or level
            props.update(file_props)
        if level not in LEVELS:
            raise PolicyPackError(
                f"{source}: {policy.name} enforcement level {level!r} is not one of {', '.join(LEVELS)}"
            )
        full_schema = {
            "type": "object",
            "properties": {**schema, "enforcementLevel": {"type": "string", "enum": list(LEVELS)}},
            "required": list(policy.configSchema.required),
        }
        _validate({**props, "enforcementLevel": level}, full_schema, info.name, policy.name, source)
        settings[policy.name] = PolicySetting(level, props)
    return settings


def configure_request(settings: Mapping[str, PolicySetting]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, setting in settings.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = LEVELS[setting.enforcement_level]
        entry.properties.update(dict(setting.properties))
    return request
