"""Policy config checked against its policy's JSON schema, as the engine checks it before `Configure`.

pulumi/pulumi's analyzer `validatePolicyConfig` runs `gojsonschema.Validate`, whose library implements
drafts 4, 6 and 7: draft 7 here (a policy's schema names no `$schema`). Each check gets the error
jsonschema's `best_match` picks, or a note that the schema itself is not valid JSON Schema.

The preview runs them where it runs the gate, in its worker (offline/worker.py): the preview's own
interpreter never imports jsonschema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import jsonschema


class Finding(TypedDict, total=False):
    """What is wrong: `path` (keys and indexes to the value) and `message`, or `schema` when the
    schema itself is not valid."""

    path: list[str | int]
    message: str
    schema: str


def first_errors(checks: Sequence[tuple[Any, Mapping[str, Any]]]) -> list[Finding | None]:
    """For each (instance, schema): its first error, or None when the instance is valid."""
    return [_first_error(instance, schema) for instance, schema in checks]


def _first_error(instance: Any, schema: Mapping[str, Any]) -> Finding | None:
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as err:
        return {"schema": err.message}
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(instance))
    if error is None:
        return None
    return {"path": list(error.absolute_path), "message": error.message}
