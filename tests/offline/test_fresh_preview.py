"""`scripts/preview.sh STACK --fresh`: the preview the engine makes of a stack that does not exist yet
(issue 14 item 3), next to the known-values mode, with the real policy pack.

On a new stack the engine knows no id, address, key, certificate or random value, so nothing derived
from them either (user-data, the kubeconfig); with the kubeconfig unknown it never calls
pulumi-kubernetes, and every Kubernetes resource reaches AnalyzeStack with empty properties
(pulumi/pulumi provider_plugin.go, Create in preview with unknown provider config). The first
`pulumi preview` of dev and prod must pass the pack all the same, and say what only `up` can check.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import offline.cli
from offline.program import run_program
from offline.wire import UNKNOWN, reveal
from tests.supabase.test_program import SELF_HOSTED

STACKS: dict[str, tuple[str, list[str]]] = {
    "dev": ("dev", []),
    "prod": ("prod", []),
    "self-hosted supabase": (
        "dev",
        [arg for path, value in SELF_HOSTED.items() for arg in ("--set", f"{path}={json.dumps(value)}")],
    ),
}


def _preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = offline.cli.main(["preview", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    return code, captured.out


@pytest.mark.parametrize("case", list(STACKS))
def test_a_new_stack_passes_the_pack_and_says_what_only_up_checks(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, extra = STACKS[case]
    code, report = _preview(capsys, stack, "--fresh", *extra)
    assert code == offline.cli.EXIT_OK, report
    assert "as a new stack (--fresh" in report
    section = report.split("Checked only during `pulumi up`", 1)[1].split("\nCost", 1)[0]
    assert "Kubernetes resources reach the policy pack with no properties" in section
    for policy in ("namespace-default-deny", "hcloud-server-has-firewall", "k3s-server-hardening"):
        assert f"    {policy}: " in section, f"{policy} must be reported as checked only during up"
    if stack == "prod":
        assert "    prod-cluster-issuer-letsencrypt-production: " in section


def test_self_hosted_supabase_passes_with_known_values_too(capsys: pytest.CaptureFixture[str]) -> None:
    stack, extra = STACKS["self-hosted supabase"]
    code, report = _preview(capsys, stack, *extra)
    assert code == offline.cli.EXIT_OK, report
    assert "Checked only during" not in report  # the known-values mode is unchanged


def test_fresh_mode_hides_what_the_engine_does_not_know() -> None:
    run = run_program("dev", fresh=True)
    kubernetes = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert kubernetes and all(r.unseen and r.final_outputs == {} for r in kubernetes)
    servers = run.of_type("hcloud:index/server:Server")
    assert servers and all(r.id == "" for r in servers)
    assert all(reveal(r.inputs["userData"]) == UNKNOWN for r in servers)
    assert all(UNKNOWN in json.dumps(r.inputs["firewallIds"]) for r in servers)
    for provider in run.of_type("pulumi:providers:kubernetes"):
        assert reveal(provider.inputs["kubeconfig"]) == UNKNOWN
    (gate,) = [r for r in run.resources if r.name.endswith("-api-ready")]
    assert UNKNOWN in json.dumps(gate.inputs["endpoints"])


def test_fresh_mode_refuses_artifacts_it_cannot_know(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    code = offline.cli.main(["preview", "dev", "--fresh", "--out", str(tmp_path)])
    assert code == offline.cli.EXIT_INPUT
    assert "drop --fresh or --out" in capsys.readouterr().err
