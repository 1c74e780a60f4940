"""The optional autoscaled pool: its nodes boot a cloud-init that passes `cloud-init schema` and whose
only secret is the CA-pinned agent token; the autoscaler's Hetzner token lives in a Secret."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import versions
from offline.program import ProgramError, ProgramRun, run_program

from ..cloud_init_files import written_files
from ..graph import diff, stack_config

AUTOSCALER = {
    "enabled": True,
    "minNodes": 0,
    "maxNodes": 5,
    "serverType": "cpx42",
    "labels": {"tier": "burst"},
}


def _with_autoscaler(**changes: Any) -> dict[str, Any]:
    return {"cluster": {**stack_config("prod", "cluster"), "autoscaler": {**AUTOSCALER, **changes}}}


@pytest.fixture(scope="module")
def scaled() -> ProgramRun:
    return run_program("prod", overrides=_with_autoscaler())


def _secret(run: ProgramRun) -> dict[str, str]:
    (secret,) = [s for s in run.of_type("kubernetes:core/v1:Secret") if s.name == "k3s-autoscaler-hcloud"]
    data: dict[str, str] = secret.plain_inputs["stringData"]
    return data


def _node_config(run: ProgramRun) -> dict[str, Any]:
    document = json.loads(base64.b64decode(_secret(run)["cluster-config"]))
    assert list(document["nodeConfigs"]) == ["prod-autoscaled"]
    config: dict[str, Any] = {**document, **document["nodeConfigs"]["prod-autoscaled"]}
    return config


def test_autoscaled_cloud_init_passes_cloud_init_schema(scaled: ProgramRun, tmp_path: Path) -> None:
    user_data = tmp_path / "autoscaled.yaml"
    user_data.write_text(_node_config(scaled)["cloudInit"])
    result = subprocess.run(
        ["cloud-init", "schema", "--config-file", str(user_data)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _readable(user_data: str) -> str:
    """The document with every write_files content decoded (large files are gz+b64), so a search for
    a secret sees what lands on disk."""
    return user_data + "".join(entry["content"] for entry in written_files(user_data).values())


def test_the_agent_token_is_the_only_secret_on_autoscaled_nodes(scaled: ProgramRun) -> None:
    raw = _node_config(scaled)["cloudInit"]
    cloud_init = _readable(raw)
    files = {path: entry["content"] for path, entry in written_files(raw).items()}
    k3s = yaml.safe_load(files["/etc/rancher/k3s/config.yaml"])
    assert k3s["token"].startswith("K10") and "::node:" in k3s["token"], "CA-pinned agent token"
    assert k3s["server"] == "https://10.0.1.2:6443"
    assert "node-ip" not in k3s and "node-name" not in k3s, "found at boot / the autoscaler's name"
    assert "agent-token" not in k3s and "::server:" not in cloud_init
    assert "PRIVATE KEY" not in cloud_init and "/var/lib/rancher/k3s/server/tls" not in cloud_init
    stand_ins = [v for v in scaled.settings.config.values() if v.startswith("offline-stand-in-")]
    assert stand_ins and not [v for v in stand_ins if v in cloud_init], "no Hetzner token, no S3 key"
    env = dict(line.split("=", 1) for line in files["/etc/platform/k3s.env"].splitlines())
    assert env["PRIVATE_IP"] == "" and env["PRIVATE_NETWORK"] == "10.0.0.0/16"


def test_the_check_would_see_a_server_token(scaled: ProgramRun, prod_run: ProgramRun) -> None:
    """Failing case: a server's user-data, put through the same checks, shows its secrets."""
    server = _readable(prod_run.by_name("k3s-cp-0").plain_inputs["userData"])
    assert "::server:" in server and "PRIVATE KEY" in server


def test_autoscaler_gets_its_token_from_the_secret_and_is_pinned(scaled: ProgramRun) -> None:
    (release,) = [
        r for r in scaled.of_type("kubernetes:helm.sh/v3:Release") if r.name == "k3s-cluster-autoscaler"
    ]
    inputs = release.plain_inputs
    assert inputs["version"] == versions.CLUSTER_AUTOSCALER_CHART_VERSION
    values = inputs["values"]
    assert values["image"]["tag"] == versions.CLUSTER_AUTOSCALER_IMAGE_TAG
    assert values["extraEnvSecrets"]["HCLOUD_TOKEN"] == {"name": "cluster-autoscaler-hcloud", "key": "token"}
    assert values["autoscalingGroups"] == [
        {"name": "prod-autoscaled", "minSize": 0, "maxSize": 5, "instanceType": "cpx42", "region": "nbg1"}
    ]
    config = scaled.settings.config
    token = config.get("platform:autoscalerHcloudToken", config["platform:hcloudToken"])
    assert token not in json.dumps(values)
    assert _secret(scaled)["token"] == token, "its own token when set, else the stack's"
    assert values["containerSecurityContext"]["allowPrivilegeEscalation"] is False


def test_autoscaled_nodes_get_their_own_subnet_and_labels(scaled: ProgramRun) -> None:
    config = _node_config(scaled)
    assert config["subnetIPRange"] == "10.0.2.0/24"
    assert config["labels"] == {"platform/pool": "autoscaled", "tier": "burst"}
    assert config["imagesForArch"] == {"amd64": "debian-12", "arm64": "debian-12"}
    subnets = {s.plain_inputs["ipRange"] for s in scaled.of_type("hcloud:index/networkSubnet:NetworkSubnet")}
    assert "10.0.2.0/24" in subnets


def test_turning_the_autoscaler_on_touches_no_server(scaled: ProgramRun, prod_run: ProgramRun) -> None:
    change = diff(prod_run, scaled)
    assert change.changed == change.removed == change.drifted == set(), "Secrets and user-data included"
    assert change.added == {
        "k3s-autoscaler",
        "network-autoscaled",
        "k3s-autoscaler-hcloud",
        "k3s-cluster-autoscaler",
        "k3s-autoscaler-default-deny",
        "k3s-autoscaler-allow-dns",
        "k3s-autoscaler-egress",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"minNodes": 4, "maxNodes": 2}, "minNodes 4 is larger than maxNodes 2"),
        ({"location": "ash"}, "cluster.autoscaler.location"),
        ({"name": "general"}, "duplicate names ['general']"),
        ({"taints": ["oops"]}, "taint 'oops'"),
    ],
)
def test_bad_autoscaler_settings_are_refused_with_the_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ProgramError) as failure:
        run_program("prod", overrides=_with_autoscaler(**changes))
    assert message in str(failure.value)
    assert failure.value.registered == []
