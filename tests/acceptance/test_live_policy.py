"""Gates read from live objects: everything dev with self-hosted Supabase renders, applied to a real
kube-apiserver (tests/controlplane), read back and judged by the policy pack; Studio's route as Kong's
live configuration has it. Then changes made outside Pulumi."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from offline.program import run_program
from tests.controlplane.api import Api
from tests.controlplane.cluster import ControlPlane, build_binaries, start
from tests.controlplane.objects import apply_everything
from tests.supabase.test_program import SELF_HOSTED

from .test_acceptance import acceptance, verdicts
from .test_cluster_gates import _kubeconfig

GATE = "policy pack on the live objects"
STUDIO = "Studio closed or allow-listed"
AS_DEPLOYED = [f"{path}={json.dumps(value)}" for path, value in SELF_HOSTED.items()]
"""The same settings for the acceptance command, which reads Pulumi.dev.yaml."""


def _acceptance(tmp_path: Path, kubeconfig: Path, gate: str) -> subprocess.CompletedProcess[str]:
    sets = [arg for item in AS_DEPLOYED for arg in ("--set", item)]
    return acceptance(tmp_path, "--kubeconfig", str(kubeconfig), "--gate", gate, *sets)


@pytest.fixture(scope="module")
def plane() -> Iterator[tuple[ControlPlane, Path]]:
    run = run_program("dev", overrides=SELF_HOSTED)
    workdir = Path(tempfile.mkdtemp(prefix="acceptance-policy-"))
    plane = start(build_binaries(), run, workdir / "plane")
    try:
        applied = apply_everything(plane.api, run)
        assert all(answer.accepted for answer in applied.objects.values())
        yield plane, _kubeconfig(plane, workdir)
    finally:
        plane.stop()


def test_what_the_program_applied_passes_the_pack(tmp_path: Path, plane: tuple[ControlPlane, Path]) -> None:
    result = _acceptance(tmp_path, plane[1], GATE)
    assert verdicts(result) == {GATE: "pass"}, result.stdout + result.stderr
    judged = int(re.search(r"0 mandatory violations in (\d+) live objects", result.stdout).group(1))  # type: ignore[union-attr]
    assert judged >= 20  # dev's namespaces, NetworkPolicies, Deployments, Services, ... read back


def test_a_deployment_edited_outside_pulumi_fails_the_pack(
    tmp_path: Path, plane: tuple[ControlPlane, Path]
) -> None:
    api = plane[0].api
    rogue = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "debug-shell", "namespace": "app"},
        "spec": {
            "selector": {"matchLabels": {"app": "debug-shell"}},
            "template": {
                "metadata": {"labels": {"app": "debug-shell"}},
                "spec": {"containers": [{"name": "shell", "image": "busybox:latest"}]},
            },
        },
    }
    answer = api.apply(rogue)  # Pod Security warns about a Deployment's template; it admits the object
    assert answer.accepted, answer.message
    result = _acceptance(tmp_path, plane[1], GATE)
    assert verdicts(result) == {GATE: "FAIL"}
    assert "on app/debug-shell" in result.stdout


def _set_studio_allow_list(api: Api, allowed: list[str]) -> None:
    """Edit the live Kong configuration as someone with kubectl would."""
    (secret,) = [
        item
        for item in api.get("/api/v1/namespaces/supabase/secrets").body["items"]
        if "kong.yml" in (item.get("data") or {})
    ]
    config = yaml.safe_load(base64.b64decode(secret["data"]["kong.yml"]))
    dashboard = next(service for service in config["services"] if service["name"] == "dashboard")
    dashboard["plugins"] = [{"name": "ip-restriction", "config": {"allow": allowed}}, {"name": "basic-auth"}]
    data = base64.b64encode(yaml.safe_dump(config).encode()).decode()
    name = secret["metadata"]["name"]
    answer = api.request(
        "PATCH",
        f"/api/v1/namespaces/supabase/secrets/{name}",
        {"data": {"kong.yml": data}},
        content_type="application/merge-patch+json",
    )
    assert answer.accepted, answer.message


def test_studio_as_kong_runs_it(tmp_path: Path, plane: tuple[ControlPlane, Path]) -> None:
    deployed = _acceptance(tmp_path, plane[1], STUDIO)
    assert verdicts(deployed) == {STUDIO: "pass"} and "closed" in deployed.stdout  # no allow-list configured
    _set_studio_allow_list(plane[0].api, ["203.0.113.0/24"])
    listed = _acceptance(tmp_path, plane[1], STUDIO)
    assert verdicts(listed) == {STUDIO: "pass"} and "allow-listed: 203.0.113.0/24" in listed.stdout
    _set_studio_allow_list(plane[0].api, ["0.0.0.0/0"])
    world = _acceptance(tmp_path, plane[1], STUDIO)
    assert verdicts(world) == {STUDIO: "FAIL"}
