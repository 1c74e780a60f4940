"""The pack as a whole: every policy tested, config files valid against the schemas, docs and generated
files in sync, and `policies/__main__.py` serving the Analyzer protocol as its own process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from typing import Any

import grpc
import jsonschema
import pytest
from google.protobuf import empty_pb2
from platform_security import ALL_POLICIES
from platform_security.docs import render_table, replace_table
from platform_security.framework import PolicyConfigError
from platform_security.schema import config_file_schema
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import StackValidationPolicy

from . import (
    test_policy_cluster,
    test_policy_edge,
    test_policy_exposure,
    test_policy_stack,
    test_policy_workloads,
)
from .policy_fixtures import namespace as fx_namespace
from .policy_wire import LEVEL_NAMES, POLICIES_DIR, Pack, load_config

REPO = POLICIES_DIR.parent
REMEDIATION_ONLY = {"hcloud-server-user-data-secret"}  # tested through Remediate in test_policy_edge
ALL_CASES = [
    *test_policy_edge.CASES,
    *test_policy_cluster.CASES,
    *test_policy_workloads.CASES,
    *test_policy_exposure.CASES,
    *test_policy_stack.CASES,
]


def test_every_policy_has_a_violating_and_a_compliant_case() -> None:
    names = {p.name for p in ALL_POLICIES}
    assert names - {c.policy for c in ALL_CASES} == REMEDIATION_ONLY
    assert {c.policy for c in ALL_CASES} <= names


def test_policy_names_are_unique_and_levels_follow_the_rule() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))
    advisory = {
        p.name for p in ALL_POLICIES if p.enforcement_level and p.enforcement_level.value == "advisory"
    }
    assert advisory == {"workload-read-only-root-fs", "workload-resources", "workload-probes"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_config_files_are_valid_and_name_their_environment(stack: str) -> None:
    config = load_config(stack)
    jsonschema.Draft7Validator(config_file_schema()).validate(config)
    with_environment = {
        p.name for p in ALL_POLICIES if p.config_schema and "environment" in p.config_schema.properties
    }
    assert with_environment == {name for name, value in config.items() if value.get("environment") == stack}


@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        ({"hcloud-prod-protection": {"environment": "production"}}, "'production' is not one of"),
        ({"workload-probes": {"exemptions": [{"name": "web"}]}}, "'reason' is a required property"),
        (
            {"workload-probes": {"exemptions": [{"reason": "no target named at all"}]}},
            "is not valid under any",
        ),
        (
            {"workload-probes": {"exemptions": [{"name": "web", "reason": "because it is", "kind": "x"}]}},
            "Additional properties are not allowed",
        ),
        ({"hcloud-firewall-no-world-admin-ports": {"worldOpenPorts": [70000]}}, "70000 is greater than"),
        ({"workload-probe": "mandatory"}, "'workload-probe' was unexpected"),
    ],
)
def test_bad_policy_config_is_rejected_with_the_reason(bad: dict[str, Any], complaint: str) -> None:
    validator = jsonschema.Draft7Validator(config_file_schema())
    errors = [e for e in validator.iter_errors(bad)]
    assert errors
    reasons = " ".join(str(e.message) for err in errors for e in [err, *(err.context or [])])
    assert complaint in reasons


def test_the_checked_in_config_schema_is_current() -> None:
    on_disk = json.loads((POLICIES_DIR / "config.schema.json").read_text())
    assert on_disk == config_file_schema(), (
        "run: cd policies && python -m platform_security.schema config.schema.json"
    )


def test_docs_table_lists_every_policy_and_is_current() -> None:
    document = (REPO / "docs" / "policies.md").read_text()
    assert replace_table(document) == document, (
        "run: cd policies && python -m platform_security.docs ../docs/policies.md"
    )
    table = render_table()
    for policy in ALL_POLICIES:
        assert f"| `{policy.name}` |" in table


def test_requirements_pin_what_the_project_pins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    wanted = {re.split(r"[=<>]", d)[0]: d for d in project}
    for line in (POLICIES_DIR / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name = re.split(r"[=<>]", line)[0]
            assert wanted[name].replace(" ", "") == line.replace(" ", "")


def test_policy_pack_yaml_is_a_python_pack_with_a_version() -> None:
    import yaml

    manifest = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == "python"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])


def test_analyzer_info_reports_every_policy_with_level_and_schema() -> None:
    info = Pack().servicer.GetAnalyzerInfo(None, None)
    reported = {p.name: p for p in info.policies}
    assert set(reported) == {p.name for p in ALL_POLICIES}
    for policy in ALL_POLICIES:
        assert LEVEL_NAMES[reported[policy.name].enforcementLevel] == policy.enforcement_level.value  # type: ignore[union-attr]
        assert ("exemptions" in reported[policy.name].configSchema.properties) == (
            policy.config_schema is not None
        )
    stack_policies = {p.name for p in ALL_POLICIES if isinstance(p, StackValidationPolicy)}
    assert {n for n, p in reported.items() if p.policy_type == 2} == stack_policies


def test_main_serves_the_analyzer_protocol_as_its_own_process() -> None:
    """The pack as Pulumi's shim starts it (`python -u -m pulumi.policy <engine> .` in the pack's
    directory): it prints its port, then answers GetAnalyzerInfo."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
        cwd=POLICIES_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
        assert info.name == "platform-security"
        assert len(info.policies) == len(ALL_POLICIES)
    finally:
        process.kill()
        process.wait()


def test_a_misspelt_config_key_stops_the_pack_with_a_message_naming_it() -> None:
    """The CLI's schema check lets unknown keys through; the pack refuses them rather than ignore them."""
    pack = Pack({"workload-probes": {"exemption": [{"name": "web", "reason": "typo in the key name"}]}})
    with pytest.raises(PolicyConfigError, match=r"policy workload-probes: unknown config key\(s\) exemption"):
        pack.analyze(fx_namespace())  # any resource: the policy itself never looks at namespaces
