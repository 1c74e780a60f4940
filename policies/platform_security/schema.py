"""The JSON schema of a policy config file (`config.<stack>.json`), built from the policies' own schemas.

The Pulumi CLI validates `--policy-pack-config` against the schemas the pack reports in
`GetAnalyzerInfo`; this is the same contract as one document, for the offline preview, editors and
tests. `python -m platform_security.schema ../policies/config.schema.json` regenerates the checked-in copy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from . import ALL_POLICIES
from .framework import ENVIRONMENT_SCHEMA, EXEMPTIONS_SCHEMA

LEVELS = ["advisory", "mandatory", "remediate", "disabled"]


_SHARED = {"exemptions": EXEMPTIONS_SCHEMA, "environment": ENVIRONMENT_SCHEMA}


def _shared_refs(own: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"$ref": f"#/definitions/{key}"} if _SHARED.get(key) is spec else spec
        for key, spec in own.items()
    }


def config_file_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {"all": {"enum": LEVELS}}
    for policy in ALL_POLICIES:
        own = _shared_refs(policy.config_schema.properties) if policy.config_schema else {}
        properties[policy.name] = {
            "description": policy.description,
            "oneOf": [
                {"enum": LEVELS},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"enforcementLevel": {"enum": LEVELS}, **own},
                },
            ],
        }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "platform-security policy pack config",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "definitions": _SHARED,
    }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(config_file_schema(), indent=2) + "\n")
