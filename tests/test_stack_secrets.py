"""Secrets reach components as typed attributes: a misspelt secret is a mypy error, not a silent None."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import yaml

from components.config import SECRET_SPECS, StackSecrets, parse_stack_config
from components.config.secrets import attribute_name
from offline.program import PROJECT_DIR
from tests.pending_outputs import outputs_event_loop

ROOT = Path(__file__).resolve().parent.parent


def test_every_declared_secret_is_one_attribute() -> None:
    attributes = [field.name for field in dataclasses.fields(StackSecrets)]
    assert attributes == [attribute_name(spec.key) for spec in SECRET_SPECS]


def test_the_loader_fills_the_attribute_of_each_set_secret() -> None:
    raw = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]
    values = {key.removeprefix("platform:"): value for key, value in raw.items()}
    given = {spec.key: "x" for spec in SECRET_SPECS if spec.key != "autoscalerHcloudToken"}
    with outputs_event_loop():
        loaded = parse_stack_config("platform", {**values, **given}, {f"platform:{key}" for key in given})
    secrets = loaded.secrets
    assert secrets.etcd_s3_access_key is not None
    assert secrets.etcd_s3_keys == (secrets.etcd_s3_access_key, secrets.etcd_s3_secret_key)
    assert secrets.autoscaler_hcloud_token is None


def test_mypy_rejects_a_misspelt_secret(tmp_path: Path) -> None:
    snippet = tmp_path / "uses_secrets.py"
    snippet.write_text(
        "from components.config import StackSecrets\n\n\n"
        "def keys(secrets: StackSecrets) -> object:\n"
        "    return secrets.etcd_s3_access_key, secrets.etcd_s3_acess_key\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", str(snippet)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    assert ':5: error: "StackSecrets" has no attribute "etcd_s3_acess_key"' in errors[0]
