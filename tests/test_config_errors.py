"""A bad stack file stops the program before any resource exists, with one message that names the
key, the bad value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from offline.program import ProgramError, run_program

CASES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("unknown key", "dev", {"clusterr": {"x": 1}}, ["platform:clusterr", "did you mean platform:cluster"]),
    (
        "unknown nested key",
        "dev",
        {"cluster": {"controlPlane": {"count": 1, "size": "big"}}},
        ["platform:cluster.controlPlane.size", "not a known setting"],
    ),
    (
        "wrong type",
        "dev",
        {"cluster": {"controlPlane": {"count": "three"}}},
        ["platform:cluster.controlPlane.count", '"three"', "valid integer"],
    ),
    (
        "zero control-plane servers",
        "dev",
        {"cluster": {"controlPlane": {"count": 0}}},
        ["platform:cluster.controlPlane.count = 0", "1, 3, 5 or 7"],
    ),
    (
        "even control-plane count",
        "prod",
        {"cluster": {"controlPlane": {"count": 2}}},
        ["platform:cluster.controlPlane.count = 2", "odd number", "quorum"],
    ),
    (
        "CIDR that does not parse",
        "dev",
        {"network": {"cidr": "10.0.0.0/33"}},
        ["platform:network.cidr", "10.0.0.0/33", "not a CIDR"],
    ),
    (
        "service range overlapping the pod range",
        "dev",
        {"cluster": {"clusterCidr": "10.42.0.0/16", "serviceCidr": "10.42.128.0/17"}},
        ["platform:cluster.serviceCidr", "10.42.128.0/17", "overlaps cluster.clusterCidr 10.42.0.0/16"],
    ),
    (
        "admin CIDR that does not parse",
        "dev",
        {"adminCidrs": ["office"]},
        ["platform:adminCidrs[0]", "office", "not an IP address or CIDR"],
    ),
    (
        "unknown location",
        "dev",
        {"location": "fra1"},
        ["platform:location", "fra1", "fsn1, nbg1, hel1"],
    ),
    (
        "unknown server type",
        "dev",
        {"cluster": {"agentPools": [{"name": "general", "serverType": "cx99"}]}},
        ["platform:cluster.agentPools[0].serverType", "cx99", "cx23"],
    ),
    (
        "server type not sold in the location",
        "dev",
        {"location": "ash", "cluster": {"controlPlane": {"serverType": "cx23"}}},
        ["platform:cluster.controlPlane.serverType", "cx23", "not sold in ash"],
    ),
    (
        "server type new projects cannot order",
        "dev",
        {"cluster": {"controlPlane": {"serverType": "cx23"}}},
        ["platform:cluster.controlPlane.serverType", "cx23", "use cpx22 (2 vCPU, 4 GB)", "legacyServerTypes"],
    ),
    (
        "admin CIDR open to the world in prod",
        "prod",
        {"adminCidrs": ["0.0.0.0/0"]},
        ["platform:adminCidrs", "0.0.0.0/0", "not allowed in prod"],
    ),
    (
        "not an OpenSSH key",
        "dev",
        {"sshPublicKeys": ["my-laptop-key"]},
        ["platform:sshPublicKeys", "not an OpenSSH public key"],
    ),
    (
        "environment variable name a shell cannot export",
        "dev",
        {"app.web.env": {"1BAD": "x"}},
        ['platform:app.web.env = "1BAD"', "not a valid environment variable name"],
    ),
    (
        "memory in thousandths of a byte",
        "dev",
        {"app.web.memory": "500m"},
        ['platform:app.web.memory = "500m"', "fractions of a byte", "512Mi"],
    ),
    (
        "rate-limit period Traefik cannot parse",
        "dev",
        {"workloads.rateLimit.period": "1d"},
        ['platform:workloads.rateLimit.period = "1d"', "Go duration", "24h"],
    ),
    (
        "cron job schedule Kubernetes cannot parse (croniter's L for last day)",
        "dev",
        {"workloads.cronJobs[0].schedule": "0 0 L * *"},
        ["platform:workloads.cronJobs[0].schedule", "not a cron schedule", "5 fields"],
    ),
    (  # a secret Pulumi.yaml does not declare: the engine lets it through, the program refuses it
        "secret set in plain text",
        "dev",
        {"autoscalerHcloudToken": "plain-token"},
        ["platform:autoscalerHcloudToken", "plain text", "pulumi config set --secret autoscalerHcloudToken"],
    ),
]


@pytest.mark.parametrize(("case", "stack", "overrides", "expected"), CASES, ids=[c[0] for c in CASES])
def test_invalid_config_fails_with_its_message_and_registers_nothing(
    case: str, stack: str, overrides: dict[str, Any], expected: list[str]
) -> None:
    with pytest.raises(ProgramError) as failure:
        run_program(stack, overrides=overrides)
    assert isinstance(failure.value.cause, ConfigError), failure.value.cause
    message = str(failure.value.cause)
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} missing from:\n{message}"
    assert failure.value.registered == [], "resources were registered before the config was validated"


def test_missing_required_secret_fails_and_registers_nothing() -> None:
    """hcloudToken the engine demands itself (Pulumi.yaml); a secret only prod needs is the program's."""
    with pytest.raises(ProgramError) as failure:
        run_program("prod", secret_overrides={"hcloudToken": "token"}, stand_in_missing_secrets=False)
    message = str(failure.value.cause)
    assert "platform:etcdS3AccessKey is required" in message
    assert "pulumi config set --secret etcdS3AccessKey" in message
    assert failure.value.registered == []


def test_a_missing_hcloud_token_is_refused_by_the_engine_before_the_program_runs() -> None:
    with pytest.raises(ValueError, match=r"^Stack 'dev' is missing configuration value 'hcloudToken'$"):
        run_program("dev", stand_in_missing_secrets=False)


def test_the_committed_stacks_are_valid() -> None:
    for stack in ("dev", "prod"):
        assert run_program(stack).resources
