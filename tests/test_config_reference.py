"""Every key is documented where users look: docs/configuration.md and Pulumi.yaml agree with the code."""

from __future__ import annotations

from pathlib import Path

import yaml

from components.config import SECRET_SPECS, StackConfig
from components.config.base import Section
from components.config.reference import _section_type, attribute_docs, render

REPO = Path(__file__).resolve().parent.parent


def test_configuration_reference_is_current() -> None:
    current = (REPO / "docs" / "configuration.md").read_text()
    assert current == render(), "run: python -m components.config.reference > docs/configuration.md"


def test_every_model_field_has_a_description() -> None:
    undocumented = []
    queue: list[type[Section]] = [StackConfig]
    while queue:
        model = queue.pop()
        for name, field in model.model_fields.items():
            if not attribute_docs(model).get(name, "").strip():
                undocumented.append(f"{model.__name__}.{name}")
            nested = _section_type(field.annotation)
            if nested is not None:
                queue.append(nested)
    assert undocumented == []


def test_pulumi_yaml_declares_known_keys_with_the_programs_defaults() -> None:
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    fields = {field.alias or name: field for name, field in StackConfig.model_fields.items()}
    secrets = {spec.key for spec in SECRET_SPECS}
    for key, schema in declared.items():
        assert key in fields or key in secrets, f"Pulumi.yaml declares unknown key {key}"
        assert schema.get("description"), f"{key} has no description in Pulumi.yaml"
        if key in secrets:
            assert schema.get("secret") is True, f"{key} must be declared secret"
        if "default" in schema:
            assert schema["default"] == fields[key].default, f"{key}: Pulumi.yaml and the program disagree"
