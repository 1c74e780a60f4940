"""Run the policy pack the way the Pulumi engine does, in-process, over its real gRPC servicer.

Resources go in as the engine sends them: a protobuf `Struct` (so every number becomes a float),
camelCase wire names, unknown values as the engine's sentinel strings, secrets as the secret-signature
object. `_PolicyAnalyzerServicer` is pulumi_policy's own server class (private API, pinned version):
it deserializes, wraps props in `unknown_checking_proxy`, resolves enforcement levels from `Configure`
and composes the diagnostic message exactly as the CLI prints it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2
from platform_security import ALL_POLICIES, PACK_NAME
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
UNKNOWN_STRING = UNKNOWN_STRING_VALUE
UNKNOWN_ARRAY = UNKNOWN_ARRAY_VALUE
UNKNOWN_BOOL = UNKNOWN_BOOLEAN_VALUE

_LEVELS = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


def secret(value: Any) -> dict[str, Any]:
    """A value as the engine sends a Pulumi secret."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(props))
    return message


@dataclass
class Res:
    """One resource of a stack: its type token, logical name and wire props."""

    type: str
    name: str
    props: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    urn: str = ""

    def __post_init__(self) -> None:
        self.urn = self.urn or f"urn:pulumi:test::hetzner-k3s-platform::{self.type}::{self.name}"

    def depends_on(self, other: Res, prop: str | None = None) -> Res:
        self.dependencies.append(other.urn)
        if prop:
            self.property_dependencies.setdefault(prop, []).append(other.urn)
        return self


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str
    urn: str


def _diagnostics(response: Any) -> list[Diagnostic]:
    return [
        Diagnostic(d.policyName, LEVEL_NAMES[d.enforcementLevel], d.message, d.urn)
        for d in response.diagnostics
    ]


def load_config(stack: str) -> dict[str, Any]:
    return json.loads((POLICIES_DIR / f"config.{stack}.json").read_text())


class Pack:
    """The pack behind its gRPC servicer, configured like the CLI configures it."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", ALL_POLICIES, EnforcementLevel.MANDATORY)
        self.configure(config or {})

    def configure(self, config: Mapping[str, Any]) -> None:
        """Send every policy's level and properties, as the CLI does after merging the config file."""
        request = proto.ConfigureAnalyzerRequest()
        for policy in ALL_POLICIES:
            given = dict(config.get(policy.name, {}))
            default = policy.enforcement_level.value if policy.enforcement_level else "advisory"
            level = given.pop("enforcementLevel", default)
            request.policyConfig[policy.name].CopyFrom(
                proto.PolicyConfig(enforcementLevel=_LEVELS[level], properties=struct(given))
            )
        self.servicer.Configure(request, None)

    def analyze(self, res: Res) -> list[Diagnostic]:
        request = proto.AnalyzeRequest(
            type=res.type, properties=struct(res.props), urn=res.urn, name=res.name
        )
        return _diagnostics(self.servicer.Analyze(request, None))

    def analyze_stack(self, resources: Sequence[Res]) -> list[Diagnostic]:
        request = proto.AnalyzeStackRequest()
        for res in resources:
            entry = request.resources.add(
                type=res.type, properties=struct(res.props), urn=res.urn, name=res.name
            )
            entry.dependencies.extend(res.dependencies)
            for prop, urns in res.property_dependencies.items():
                entry.propertyDependencies[prop].urns.extend(urns)
        return _diagnostics(self.servicer.AnalyzeStack(request, None))

    def remediate(self, res: Res) -> list[tuple[str, dict[str, Any]]]:
        """(policy, new props as sent back on the wire) for each remediation applied."""
        request = proto.AnalyzeRequest(
            type=res.type, properties=struct(res.props), urn=res.urn, name=res.name
        )
        response = self.servicer.Remediate(request, None)
        return [(r.policyName, json_format.MessageToDict(r.properties)) for r in response.remediations]

    def run(self, resources: Sequence[Res]) -> list[Diagnostic]:
        """What a preview reports: Analyze for every resource, then AnalyzeStack once."""
        found = [d for res in resources for d in self.analyze(res)]
        return found + self.analyze_stack(resources)


def fired(diagnostics: Sequence[Diagnostic], policy: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.policy == policy]


@dataclass(frozen=True)
class Case:
    """A policy's violating and compliant stack, and a fragment its message must contain."""

    policy: str
    bad: list[Res]
    good: list[Res]
    says: str
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.policy}:{self.says[:40]}"


def check_case(case: Case) -> None:
    """The policy fires on `bad` with its message and at its level, and is quiet on `good`."""
    pack = Pack(case.config)
    found = fired(pack.run(case.bad), case.policy)
    assert found, f"{case.policy} did not fire on the violating case"
    assert any(case.says in d.message for d in found), [d.message for d in found]
    policy = next(p for p in ALL_POLICIES if p.name == case.policy)
    default = (policy.enforcement_level or EnforcementLevel.ADVISORY).value
    level = case.config.get(case.policy, {}).get("enforcementLevel") or default
    assert {d.level for d in found} == {level}
    assert all(d.message.startswith(policy.description + "\n") for d in found)
    assert fired(pack.run(case.good), case.policy) == []
