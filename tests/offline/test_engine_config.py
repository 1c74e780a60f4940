"""The engine's checks of Pulumi.yaml's `config:` block, on the committed project and stack files.

`pulumi preview` refuses a stack before the program starts when a key Pulumi.yaml declares without a
default is not set, when a `secret: true` key is set in plain text, or when a typed key has the wrong
type (pulumi/pulumi pkg/workspace/config.go, mergeConfig; offline/engine_config.py cites the rules).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import offline.cli
from components.config import SECRET_SPECS, StackConfig
from offline.engine_config import EngineConfigError, StackValue, check_project, validate_stack_config
from offline.stack_file import read_stack

PROJECT_DIR = Path(__file__).resolve().parents[2]
STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in PROJECT_DIR.glob("Pulumi.*.yaml")
)

# The `config:` block as it stood before this fix (issue 14 item 1): every optional secret and
# `protect` declared with a type and no default, so every stack was missing eight or nine of them.
OLD_CONFIG_BLOCK = """
name: platform
runtime: python
config:
  environment: {type: string}
  location: {type: string, default: nbg1}
  adminCidrs: {type: array, items: {type: string}}
  sshPublicKeys: {type: array, items: {type: string}}
  protect: {type: boolean}
  hcloudToken: {type: string, secret: true}
  postgresS3AccessKey: {type: string, secret: true}
  postgresS3SecretKey: {type: string, secret: true}
  postgresManagedUrl: {type: string, secret: true}
  supabaseSmtpPassword: {type: string, secret: true}
  etcdS3AccessKey: {type: string, secret: true}
  etcdS3SecretKey: {type: string, secret: true}
  autoscalerHcloudToken: {type: string, secret: true}
"""


def _project() -> dict:
    return yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())


def _stack_values(stack: str) -> dict[str, StackValue]:
    """The committed stack file plus what the README tells the user to set with `config set --secret`
    for this stack (the secrets docs/configuration.md marks required for it), encrypted."""
    raw = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {key: StackValue.from_yaml(value) for key, value in raw.items()}
    plain = {k.removeprefix("platform:"): v for k, v in raw.items()}
    parsed = StackConfig.model_validate(plain)
    for spec in SECRET_SPECS:
        if spec.required_when(parsed):
            values[f"platform:{spec.key}"] = StackValue("v1:encrypted", secure=True, object=False)
    return values


@pytest.mark.parametrize("stack", STACKS)
def test_the_engine_accepts_every_committed_stack(stack: str) -> None:
    merged = validate_stack_config(_project(), stack, _stack_values(stack))
    assert merged["platform:location"].text == "nbg1"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_old_config_block_is_refused_like_the_engine_does(stack: str) -> None:
    with pytest.raises(EngineConfigError) as refused:
        validate_stack_config(yaml.safe_load(OLD_CONFIG_BLOCK), stack, _stack_values(stack))
    missing = {
        "dev": "'autoscalerHcloudToken', 'etcdS3AccessKey', 'etcdS3SecretKey', 'postgresManagedUrl', "
        "'protect' and 'supabaseSmtpPassword'",
        "prod": "'autoscalerHcloudToken', 'postgresManagedUrl', 'protect' and 'supabaseSmtpPassword'",
    }[stack]
    assert str(refused.value) == f"Stack '{stack}' is missing configuration values {missing}"


def test_only_keys_every_stack_must_set_are_declared_without_a_default() -> None:
    """A key declared without a default is one the engine demands of every stack: it must be one the
    program demands of every stack too (a required setting, or a secret required always)."""
    fields = {field.alias or name: field for name, field in StackConfig.model_fields.items()}
    always = {spec.key for spec in SECRET_SPECS if spec.required_because == "always"}
    for key, spec in check_project(_project()).items():
        if "default" in spec:
            continue
        assert key in always or (key in fields and fields[key].is_required()), (
            f"Pulumi.yaml declares {key} without a default, so the engine requires it in every stack, "
            "but the program does not: document it in docs/configuration.md instead"
        )


def test_secret_keys_must_be_encrypted_and_typed_keys_must_match() -> None:
    values = _stack_values("dev")
    plain = {**values, "platform:hcloudToken": StackValue.from_yaml("token-in-plain-text")}
    with pytest.raises(
        EngineConfigError,
        match=r"^Stack 'dev' with configuration key 'hcloudToken' must be encrypted as it's secret$",
    ):
        validate_stack_config(_project(), "dev", plain)
    scalar = {**values, "platform:adminCidrs": StackValue.from_yaml("203.0.113.0/24")}
    with pytest.raises(
        EngineConfigError,
        match=r"^Stack 'dev' with configuration key 'adminCidrs' must be of type 'array<string>'$",
    ):
        validate_stack_config(_project(), "dev", scalar)
    numbers = {**values, "platform:sshPublicKeys": StackValue.from_yaml([22])}
    with pytest.raises(EngineConfigError, match="must be of type 'array<string>'"):
        validate_stack_config(_project(), "dev", numbers)
    one_missing = {k: v for k, v in values.items() if k != "platform:environment"}
    with pytest.raises(
        EngineConfigError, match=r"^Stack 'dev' is missing configuration value 'environment'$"
    ):
        validate_stack_config(_project(), "dev", one_missing)


def test_scalars_integers_and_booleans_follow_the_engines_value_rules() -> None:
    project = {
        "name": "p",
        "config": {
            "n": {"type": "integer"},
            "b": {"type": "boolean"},
            "s": {"type": "string"},
            "other:key": {"value": "x"},
        },
    }
    ok = {"p:n": StackValue.from_yaml(3), "p:b": StackValue.from_yaml(True), "p:s": StackValue.from_yaml(12)}
    validate_stack_config(project, "s", ok)  # YAML scalars reach the engine as strings
    with pytest.raises(EngineConfigError, match="'n' must be of type 'integer'"):
        validate_stack_config(project, "s", {**ok, "p:n": StackValue.from_yaml("3.5")})
    with pytest.raises(EngineConfigError, match="'b' must be of type 'boolean'"):
        validate_stack_config(project, "s", {**ok, "p:b": StackValue.from_yaml("yes")})


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"k": {"type": "array"}}, "declares an array but does not specify the underlying type"),
        ({"k": {"type": "integer", "default": "x"}}, "default value specified for configuration key 'k'"),
        ({"k": {"type": "string", "default": "a", "value": "b"}}, "cannot have both a 'default' and 'value'"),
        ({"aws:region": {"type": "string", "value": "x"}}, "is not namespaced by the project"),
        ({"k": {"type": "map"}}, "value must be one of"),
    ],
)
def test_project_declarations_the_cli_refuses_to_load(declaration: dict, message: str) -> None:
    with pytest.raises(EngineConfigError, match=message):
        check_project({"name": "p", "config": declaration})


def test_offline_preview_refuses_what_the_engine_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", tmp_path)
    (tmp_path / "Pulumi.yaml").write_text(OLD_CONFIG_BLOCK)
    code = offline.cli.main(["preview", "dev", "--no-policy", "--project-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == offline.cli.EXIT_INPUT
    assert "error: Stack 'dev' is missing configuration values 'autoscalerHcloudToken'" in err


def test_defaults_declared_in_pulumi_yaml_reach_the_program_like_the_engine_hands_them_over(
    tmp_path: Path,
) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    del stack["config"]["platform:location"]
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    assert read_stack(tmp_path, "dev").config["platform:location"] == "nbg1"
