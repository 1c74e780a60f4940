"""The policy pack's verdict on live objects: everything dev renders, applied to a real kube-apiserver
(tests/controlplane), read back and judged by the pack; then a Deployment changed outside Pulumi."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.controlplane.cluster import ControlPlane, build_binaries, start
from tests.controlplane.objects import apply_everything
from tests.pilot_runs import stack_run

from .test_acceptance import acceptance, verdicts
from .test_cluster_gates import _kubeconfig

GATE = "policy pack on the live objects"


@pytest.fixture(scope="module")
def plane() -> Iterator[tuple[ControlPlane, Path]]:
    run = stack_run("dev")
    workdir = Path(tempfile.mkdtemp(prefix="acceptance-policy-"))
    plane = start(build_binaries(), run, workdir / "plane")
    try:
        applied = apply_everything(plane.api, run)
        assert all(answer.accepted for answer in applied.objects.values())
        yield plane, _kubeconfig(plane, workdir)
    finally:
        plane.stop()


def test_what_the_program_applied_passes_the_pack(tmp_path: Path, plane: tuple[ControlPlane, Path]) -> None:
    result = acceptance(tmp_path, "--kubeconfig", str(plane[1]), "--gate", GATE)
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
    result = acceptance(tmp_path, "--kubeconfig", str(plane[1]), "--gate", GATE)
    assert verdicts(result) == {GATE: "FAIL"}
    assert "on app/debug-shell" in result.stdout
