"""`python -m offline preview` end to end: exit status, counts, artifacts the real tools accept, no leaks."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import offline.cli
import offline.mocks
import offline.preview_run
from offline.cli import PROGRAM_RSA_BITS
from offline.program import ProgramRun
from offline.wire import reveal

PACK = Path(__file__).parent / "fixture_pack"
SERVERS = {"dev": 1 + 1 + 1, "prod": 3 + 2 + 1}  # control plane + agents (Pulumi.<stack>.yaml) + Postgres VM


def _preview(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str, ProgramRun]:
    runs: list[ProgramRun] = []
    real_run = offline.preview_run.run_with_settings

    def recording_run(*a: Any, **kw: Any) -> ProgramRun:
        runs.append(real_run(*a, **kw))
        return runs[-1]

    monkeypatch.setattr(offline.preview_run, "run_with_settings", recording_run)
    code = offline.cli.main(["preview", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err, runs[-1] if runs else None  # type: ignore[return-value]


def _secret_values(run: ProgramRun) -> set[str]:
    """Every secret of the run in the forms it could leak: as is and base64-encoded."""
    values = set(run.secret_values)
    values |= {run.settings.config[key] for key in run.settings.stand_ins}
    values |= {base64.b64encode(v.encode()).decode() for v in list(values)}
    return {v for v in values if len(v) >= 12}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_end_to_end(
    stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, totals_file = tmp_path / "out", tmp_path / "totals.json"
    monkeypatch.setattr(offline.mocks, "_STATE", {})  # as in a new process: no key made by an earlier run
    code, text, err, run = _preview(
        monkeypatch, capsys, stack, "--out", str(out), "--json", str(totals_file), "--policy-pack", str(PACK)
    )
    assert (code, err) == (0, "")
    # the worker makes ahead exactly the RSA keys the program asks for (tests/offline/test_worker.py)
    keys = [r for r in run.resources if r.type == "tls:index/privateKey:PrivateKey"]
    rsa_keys = [r for r in keys if r.inputs["algorithm"] == "RSA"]
    assert sorted(int(r.inputs["rsaBits"]) for r in rsa_keys) == sorted(PROGRAM_RSA_BITS)
    (service_account_key,) = [r for r in run.resources if r.name.endswith("-service-account")]
    assert reveal(service_account_key.outputs["privateKeyPem"]).startswith("-----BEGIN RSA PRIVATE KEY-----")
    totals = json.loads(totals_file.read_text())
    assert totals["resources"] == len(run.resources)
    assert totals["resourcesByType"]["hcloud:index/server:Server"] == SERVERS[stack]
    assert totals["cost"]["monthly"] > 0 and totals["policy"]["passed"] is True
    assert f"+ {len(run.resources)} to create" in text
    assert "✅ fixture-pack@v0.0.7" in text
    assert re.search(r"\n    kubeconfig +: \[secret\]\n", text)
    assert "platform:hcloudToken: required but not set" in text  # the stand-in is reported

    user_data = sorted((out / "user-data").glob("*.yaml"))
    assert len(user_data) == SERVERS[stack]
    for path in user_data:
        check = subprocess.run(
            ["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
    manifests = sorted((out / "kubernetes").glob("*.yaml"))
    assert manifests, "the cluster registers Kubernetes objects"
    for path in [*manifests, *(out / "helm").glob("*.yaml")]:
        document = yaml.safe_load(path.read_text())
        assert isinstance(document, dict)
    for path in manifests:
        assert {"apiVersion", "kind", "metadata"} <= set(yaml.safe_load(path.read_text()))
    records = json.loads((out / "resources.json").read_text())
    assert sorted(r["urn"] for r in records) == sorted(r.urn for r in run.resources)
    position = {r["urn"]: i for i, r in enumerate(records)}
    assert all(position[d] < position[r["urn"]] for r in records for d in r["dependencies"] if d in position)
    assert (out / "graph.dot").read_text().startswith("digraph resources {")
    assert (out / "graph.svg").exists() == (shutil.which("dot") is not None)

    secrets = _secret_values(run)
    assert secrets, "the run produced secrets to look for"
    leaks = [s for s in secrets if s in text or s in totals_file.read_text()]
    leaks += [
        f"{p}: {s[:16]}…"
        for p in _files(out)
        if p.parent.name != "user-data"
        for s in secrets
        if s in p.read_text()
    ]
    assert leaks == []
    # The search is not vacuous: the user-data files, marked secret, do carry the cluster's secrets.
    assert any(s in p.read_text() for p in user_data for s in secrets)
    assert all(f"{p}  user-data of server" in text and "[secret" in text for p in user_data)


def test_markdown_report_for_pull_requests(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, _, run = _preview(monkeypatch, capsys, "dev", "--format", "markdown", "--no-policy")
    assert code == 0
    assert text.startswith("#### :tropical_drink: offline `preview` on platform/dev")
    assert "| component | type | count |" in text and "| **total** |" in text
    assert "| `kubeconfig` | [secret] |" in text
    assert not [s for s in _secret_values(run) if s in text]


def test_mandatory_violation_exits_non_zero_advisory_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = ["dev", "--policy-pack", str(PACK), "--set", 'adminCidrs=["0.0.0.0/0"]']
    code, text, _, _ = _preview(monkeypatch, capsys, *world)
    assert code == 1
    assert "❌ fixture-pack@v0.0.7" in text
    assert "- [mandatory]  no-world-ssh  (hcloud:index/firewall:Firewall:" in text

    advisory = tmp_path / "config.json"
    advisory.write_text(json.dumps({"no-world-ssh": "advisory"}))
    code, text, _, _ = _preview(monkeypatch, capsys, *world, "--policy-config", str(advisory))
    assert code == 0
    assert "- [advisory]  no-world-ssh" in text


def test_scaling_an_agent_pool_through_set_adds_servers_and_cost(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base, scaled = tmp_path / "base.json", tmp_path / "scaled.json"
    _preview(monkeypatch, capsys, "dev", "--no-policy", "--json", str(base))
    code, text, _, _ = _preview(
        monkeypatch,
        capsys,
        "dev",
        "--no-policy",
        "--json",
        str(scaled),
        "--compare",
        str(base),
        "--set",
        "cluster.agentPools[0].count=4",
    )
    assert code == 0
    before, after = json.loads(base.read_text()), json.loads(scaled.read_text())
    assert after["resourcesByType"]["hcloud:index/server:Server"] == SERVERS["dev"] + 3
    agent = 35.49 + 0.50  # cpx32 plus its primary IPv4, from the shipped table
    assert after["cost"]["monthly"] == pytest.approx(before["cost"]["monthly"] + 3 * agent)
    assert (
        f"resources +{after['resources'] - before['resources']}, cost +{3 * agent:.2f} EUR per month" in text
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["staging"], "no stack file Pulumi.staging.yaml; stacks here: dev, prod"),
        (["prod", "--set", 'adminCidrs=["0.0.0.0/0"]'], "0.0.0.0/0 is not allowed in prod"),
        (["dev", "--prices", "no-such-table.yaml"], "price table no-such-table.yaml does not exist"),
        (["dev", "--set", "cluster"], "--set/--secret takes PATH=VALUE"),
        (["dev", "--policy-pack", "."], "is not a policy pack: it has no PulumiPolicy.yaml"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, err, _ = _preview(monkeypatch, capsys, *args)
    assert (code, text) == (2, "")
    assert message in err and "Traceback" not in err


def test_the_gates_errors_in_the_worker_reach_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gate runs in the preview's worker (offline/worker.py): what it refuses still ends the preview
    with exit 2 and the gate's own message."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"no-such-policy": "advisory"}))
    code, text, err, _ = _preview(monkeypatch, capsys, "dev", "--policy-config", str(config))
    assert (code, text) == (2, "")
    assert "configures no-such-policy, which pack platform-security does not have" in err

    broken = tmp_path / "broken-pack"
    broken.mkdir()
    (broken / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (broken / "__main__.py").write_text("raise RuntimeError('pack is broken')\n")
    code, text, err, _ = _preview(monkeypatch, capsys, "dev", "--policy-pack", str(broken))
    assert (code, text) == (2, "")
    assert "exited before it started its Analyzer server" in err and "RuntimeError: pack is broken" in err
