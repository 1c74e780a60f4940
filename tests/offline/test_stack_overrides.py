"""One-run config overrides and offline stand-ins for secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.stack_file import parse_path, read_stack

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_paths_address_nested_values_like_pulumi_config_set_path() -> None:
    assert parse_path("cluster.agentPools[0].count", "platform") == (
        "platform:cluster",
        ["agentPools", 0, "count"],
    )
    assert parse_path("hcloud:token", "platform") == ("hcloud:token", [])
    with pytest.raises(ValueError, match="cannot parse config path"):
        parse_path("cluster..count", "platform")


def test_overrides_change_one_nested_value_and_keep_the_rest() -> None:
    settings = read_stack(PROJECT_DIR, "prod", {"cluster.agentPools[0].count": 50, "location": "fsn1"})
    cluster = json.loads(settings.config["platform:cluster"])
    assert cluster["agentPools"][0] == {"name": "general", "count": 50, "serverType": "cpx32"}
    assert cluster["controlPlane"]["count"] == 3
    assert settings.config["platform:location"] == "fsn1"
    assert (
        json.loads(read_stack(PROJECT_DIR, "prod").config["platform:cluster"])["agentPools"][0]["count"] == 2
    )


def test_encrypted_values_and_missing_required_secrets_get_stand_ins(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    (tmp_path / "Pulumi.enc.yaml").write_text(stack + "  platform:hcloudToken:\n    secure: v1:Zm9vYmFy\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(stack)
    encrypted = read_stack(tmp_path, "enc")
    missing = read_stack(tmp_path, "dev")
    given = read_stack(tmp_path, "dev", secret_overrides={"hcloudToken": "a-real-token"})
    assert "encrypted" in encrypted.stand_ins["platform:hcloudToken"]
    assert encrypted.config["platform:hcloudToken"] != "v1:Zm9vYmFy"
    assert "not set" in missing.stand_ins["platform:hcloudToken"]
    assert "platform:hcloudToken" in missing.secret_keys
    assert "platform:hcloudToken" not in given.stand_ins
    assert given.config["platform:hcloudToken"] == "a-real-token"
    assert "platform:hcloudToken" in given.secret_keys
