"""Validate rendered Kubernetes objects against the schemas of the Kubernetes version k3s runs.

Built-in kinds are checked with the strict JSON schemas of `components.versions.KUBERNETES_MINOR`
that the `kubernetes-validate` package ships (generated from the Kubernetes OpenAPI spec; strict means
unknown fields are errors, as `kubectl apply --validate=strict` would report). Custom resources are
checked by `tests/crd_schemas/validate.mjs`, with validators generated from the CRDs of Traefik,
cert-manager and the Prometheus Operator (installed by `scripts/install-crd-schemas.sh`).

Usage from any test:

    from tests.k8s_schema import kubernetes_objects, schema_errors
    assert schema_errors(kubernetes_objects(run)) == {}
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate.utils as kv
from referencing import Registry, Resource

from components import versions
from offline.program import ProgramRun

CRD_VALIDATOR_DIR = Path(__file__).resolve().parent / "crd_schemas"

NO_SCHEMA: dict[tuple[str, str], str] = {
    ("helm.cattle.io/v1", "HelmChartConfig"): (
        "k3s helm-controller publishes no schema package; the Traefik values inside are checked by the "
        "ingress tests"
    ),
}
"""Kinds we render that have no installable schema, each with the reason and what checks it instead.
Any other kind without a schema is an error, so a new kind cannot slip through unvalidated."""

_SCHEMA_DIR = f"kubernetes-json-schema/v{versions.KUBERNETES_MINOR}.0-local-strict"

NOT_OBJECTS = ("kubernetes:helm.sh/v3:Release", "pulumi:providers:kubernetes")
"""Registrations of the kubernetes provider that are not Kubernetes objects themselves."""


def kubernetes_objects(run: ProgramRun) -> dict[str, dict[str, Any]]:
    """Every Kubernetes object the program registers, by Pulumi resource name, as the API would get it."""
    objects = {}
    for registration in run.resources:
        if not registration.type.startswith("kubernetes:") or registration.type in NOT_OBJECTS:
            continue
        objects[registration.name] = registration.plain_inputs
    return objects


def _schema_file(api_version: str, kind: str) -> str:
    # Same file naming as kubernetes-validate: rbac.authorization.k8s.io/v1 -> rbac-v1, v1 -> v1.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{_SCHEMA_DIR}/{kind.lower()}-{group_version}.json"


@functools.cache
def _validator(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    try:
        schema = kv.schema_contents(_schema_file(api_version, kind), versions.KUBERNETES_MINOR)
    except FileNotFoundError:
        return None
    definitions = kv.schema_contents(
        f"{_SCHEMA_DIR}/_definitions.json",
        versions.KUBERNETES_MINOR,
    )
    registry: Registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _builtin_errors(obj: Mapping[str, Any]) -> list[str] | None:
    validator = _validator(obj.get("apiVersion", ""), obj.get("kind", ""))
    if validator is None:
        return None
    return sorted(
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(obj)
    )


def _custom_resource_errors(objects: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not objects:
        return []
    node = shutil.which("node")
    if node is None or not (CRD_VALIDATOR_DIR / "node_modules").is_dir():
        raise RuntimeError(
            "CRD validators are not installed: run scripts/install-crd-schemas.sh (needs node and npm)"
        )
    result = subprocess.run(
        [node, str(CRD_VALIDATOR_DIR / "validate.mjs")],
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        check=True,
        cwd=CRD_VALIDATOR_DIR,
    )
    answers: list[dict[str, Any]] = json.loads(result.stdout)
    return answers


def schema_errors(
    objects: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
) -> dict[str, list[str]]:
    """Problems per object, keyed by resource name (or `Kind/name` for a list); {} when all are valid."""
    named = (
        dict(objects)
        if isinstance(objects, Mapping)
        else {f"{o.get('kind')}/{(o.get('metadata') or {}).get('name')}": o for o in objects}
    )
    problems: dict[str, list[str]] = {}
    custom: dict[str, Mapping[str, Any]] = {}
    for name, obj in named.items():
        errors = _builtin_errors(obj)
        if errors is None:
            custom[name] = obj
        elif errors:
            problems[name] = errors
    for (name, obj), answer in zip(
        custom.items(), _custom_resource_errors(list(custom.values())), strict=True
    ):
        key = (obj.get("apiVersion", ""), obj.get("kind", ""))
        if "unsupported" in answer:
            if key not in NO_SCHEMA:
                problems[name] = [f"no schema for {key[1]} ({key[0]}): {answer['unsupported']}"]
        elif answer["errors"]:
            problems[name] = answer["errors"]
    return problems
