"""The gate runs a real pack process over the Analyzer protocol and reports like the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi.runtime.proto import analyzer_pb2

from offline.policy.config import reconcile
from offline.policy.gate import run_policy_pack
from offline.policy.pack import PolicyPackError, StackContext
from offline.report.text import policy_lines
from offline.wire import secret

from .registrations import FIREWALL, SERVER, registration, ssh_rule

PACK = Path(__file__).parent / "fixture_pack"
CONTEXT = StackContext("organization", "platform", "test", {"platform:environment": "dev"})


def _servers(count: int) -> list:
    return [
        registration(SERVER, f"s{i}", {"serverType": "cx23", "labels": {"a": "b"}, "userData": secret("x")})
        for i in range(count)
    ]


def test_mandatory_violation_fails_and_names_resource_and_message() -> None:
    open_fw = registration(FIREWALL, "open", {"rules": [ssh_rule("0.0.0.0/0")]})
    closed_fw = registration(FIREWALL, "closed", {"rules": [ssh_rule("203.0.113.0/24")]})
    report, _ = run_policy_pack(PACK, [open_fw, closed_fw, *_servers(1)], CONTEXT)
    assert not report.passed
    (violation,) = report.violations
    assert (violation.policy, violation.level, violation.urn) == ("no-world-ssh", "mandatory", open_fw.urn)
    assert report.version == "0.0.7"  # from PulumiPolicy.yaml, as the CLI takes it
    text = "\n".join(policy_lines(report, ""))
    assert "❌ fixture-pack@v0.0.7" in text
    assert f"- [mandatory]  no-world-ssh  ({FIREWALL}: open)" in text
    assert "SSH (port 22) is open to 0.0.0.0/0" in text


def test_advisory_violation_is_reported_but_passes() -> None:
    unlabeled = registration(SERVER, "bare", {"serverType": "cx23"})
    report, _ = run_policy_pack(PACK, [unlabeled, *_servers(1)], CONTEXT)
    assert report.passed
    assert [(v.policy, v.level, v.resource_name) for v in report.violations] == [
        ("servers-have-labels", "advisory", "bare")
    ]


def test_stack_policy_sees_all_resources_and_pack_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"max-servers": {"maxServers": 2}}))
    under, _ = run_policy_pack(PACK, _servers(2), CONTEXT, config)
    over, _ = run_policy_pack(PACK, _servers(3), CONTEXT, config)
    assert under.violations == ()
    assert [v.message.splitlines()[-1] for v in over.violations] == ["3 servers exceed the limit of 2."]


def test_config_file_can_lower_a_mandatory_policy(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"no-world-ssh": "advisory"}))
    open_fw = registration(FIREWALL, "open", {"rules": [ssh_rule("0.0.0.0/0")]})
    report, _ = run_policy_pack(PACK, [open_fw], CONTEXT, config)
    assert report.passed
    assert [v.level for v in report.violations] == ["advisory"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"no-such-policy": "advisory"}, "configures no-such-policy, which pack fixture-pack does not have"),
        (
            {"max-servers": {"maxServers": "ten"}},
            "policy max-servers config maxServers: 'ten' is not of type",
        ),
        ({"all": "sometimes"}, "enforcement level 'sometimes' is not one of"),
    ],
)
def test_bad_pack_config_is_refused_with_the_reason(tmp_path: Path, config: dict, expected: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    with pytest.raises(PolicyPackError, match=expected):
        run_policy_pack(PACK, _servers(1), CONTEXT, path)


def test_a_directory_without_pulumipolicy_yaml_is_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match=r"has no PulumiPolicy\.yaml"):
        run_policy_pack(tmp_path, _servers(1), CONTEXT)


def test_a_pack_that_crashes_on_start_shows_its_traceback(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text("raise RuntimeError('pack is broken')\n")
    with pytest.raises(PolicyPackError, match=r"(?s)exited before it started.*pack is broken"):
        run_policy_pack(tmp_path, _servers(1), CONTEXT)


def test_a_policy_that_raises_fails_the_gate_with_the_error(tmp_path: Path) -> None:
    """gRPC reports the exception text, as the engine shows it (the pack's gRPC logger has no handler)."""
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy\n"
        "def boom(args, report):\n"
        "    raise KeyError('sourceIps')\n"
        "PolicyPack('broken', [ResourceValidationPolicy('boom', 'raises', boom)])\n"
    )
    with pytest.raises(
        PolicyPackError, match=r"policy pack .* failed: Exception calling application: 'sourceIps'"
    ):
        run_policy_pack(tmp_path, _servers(1), CONTEXT)


def test_remediations_change_the_inputs_later_policies_and_artifacts_see() -> None:
    bare = registration(FIREWALL, "bare", {"rules": [ssh_rule("203.0.113.0/24")]})
    labelled = registration(FIREWALL, "labelled", {"rules": [], "labels": {"a": "b"}})
    report, resources = run_policy_pack(PACK, [bare, labelled], CONTEXT)
    assert [(r.policy, r.urn) for r in report.remediations] == [("label-firewalls", bare.urn)]
    after = {r.name: r.inputs for r in resources}
    assert after["bare"]["labels"] == {"platform/remediated": "true"}
    assert after["bare"]["rules"] == bare.inputs["rules"]
    assert after["labelled"] == labelled.inputs
    assert f"- [remediate]  label-firewalls  ({FIREWALL}: bare)" in "\n".join(policy_lines(report, ""))


def _info(*policies: tuple[str, dict]) -> analyzer_pb2.AnalyzerInfo:
    info = analyzer_pb2.AnalyzerInfo(name="fixture-pack")
    for name, properties in policies:
        policy = info.policies.add(name=name, enforcementLevel=analyzer_pb2.ADVISORY)
        policy.configSchema.properties.update(properties)
    return info


def test_a_policy_whose_schema_is_not_json_schema_is_named() -> None:
    info = _info(("good", {"limit": {"type": "integer"}}), ("broken", {"limit": {"type": "whole number"}}))
    with pytest.raises(
        PolicyPackError, match=r"pack fixture-pack: policy broken's config schema: .*whole number"
    ):
        reconcile(info, {}, "config.json")


def test_the_first_problem_in_policy_order_is_the_one_reported() -> None:
    info = _info(("first", {"limit": {"type": "integer"}}), ("second", {}))
    config = {"first": {"limit": "ten"}, "second": "sometimes"}
    with pytest.raises(
        PolicyPackError, match=r"config.json: policy first config limit: 'ten' is not of type"
    ):
        reconcile(info, config, "config.json")
    with pytest.raises(PolicyPackError, match=r"second enforcement level 'sometimes' is not one of"):
        reconcile(info, {"second": "sometimes"}, "config.json")
