"""One policy run over a whole preview, in the engine's order of calls.

Engine order (pulumi/pulumi step_generator.go and analyzer_plugin.go): start the pack, `Handshake`,
`ConfigureStack`, `GetAnalyzerInfo`, `GetPluginInfo`, `Configure` with the reconciled config; then for
each resource `Remediate` (its returned properties replace the inputs) followed by `Analyze`; finally
`AnalyzeStack` over every resource's outputs. In a preview, a mandatory violation fails the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format

from ..program import Registration
from . import messages
from .config import LEVEL_NAMES, configure_request, load_config_file, reconcile
from .pack import PackProject, PolicyPackError, PolicyPackProcess, StackContext


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    """advisory, mandatory (remediate is reported as mandatory, as the engine does)."""
    description: str
    message: str
    urn: str
    resource_type: str = ""
    resource_name: str = ""


@dataclass(frozen=True)
class Remediation:
    policy: str
    urn: str


@dataclass(frozen=True)
class PolicyReport:
    pack: str
    version: str
    directory: Path
    policies: tuple[str, ...]
    violations: tuple[Violation, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    resources_analyzed: int = 0

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.level == "mandatory")

    @property
    def passed(self) -> bool:
        return not self.mandatory


@dataclass
class _Run:
    pack: PolicyPackProcess
    version: str
    by_urn: Mapping[str, Registration]
    violations: list[Violation] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)

    def record(self, diagnostics: Any, resource: Registration | None) -> None:
        for d in diagnostics:
            urn = resource.urn if resource is not None else d.urn
            target = resource or self.by_urn.get(urn)
            self.violations.append(
                Violation(
                    policy=d.policyName,
                    level="mandatory"
                    if LEVEL_NAMES[d.enforcementLevel] == "remediate"
                    else LEVEL_NAMES[d.enforcementLevel],
                    description=d.description,
                    message=d.message,
                    urn=urn,
                    resource_type=target.type if target else "",
                    resource_name=target.name if target else "",
                )
            )

    def analyze(self, resource: Registration) -> Registration:
        inputs = dict(resource.inputs)
        remediated = self.pack.stub.Remediate(messages.analyze_request(resource, inputs, self.by_urn))
        for remediation in remediated.remediations:
            if remediation.diagnostic:
                self.violations.append(
                    Violation(
                        remediation.policyName,
                        "advisory",
                        remediation.description,
                        remediation.diagnostic,
                        resource.urn,
                        resource.type,
                        resource.name,
                    )
                )
            elif remediation.HasField("properties"):
                inputs = json_format.MessageToDict(remediation.properties)
                self.remediations.append(Remediation(remediation.policyName, resource.urn))
        response = self.pack.stub.Analyze(messages.analyze_request(resource, inputs, self.by_urn))
        self.record(response.diagnostics, resource)
        return replace(resource, inputs=inputs) if inputs != dict(resource.inputs) else resource


def run_policy_pack(
    directory: Path,
    resources: Sequence[Registration],
    context: StackContext,
    config_file: Path | None = None,
) -> tuple[PolicyReport, list[Registration]]:
    """Run the pack over the preview; returns the verdict and the resources after remediation."""
    project = PackProject.load(directory)
    file_config = load_config_file(config_file)
    with PolicyPackProcess(project, context) as pack:
        try:
            info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
            pack.stub.GetPluginInfo(empty_pb2.Empty())
            settings = reconcile(info, file_config, str(config_file or "policy pack defaults"))
            pack.stub.Configure(configure_request(settings))
            version = project.version or info.version
            run = _Run(pack, version, {r.urn: r for r in resources})
            analyzed = [run.analyze(resource) for resource in resources]
            stack = pack.stub.AnalyzeStack(messages.analyze_stack_request(analyzed))
            run.record(stack.diagnostics, None)
        except grpc.RpcError as err:
            raise PolicyPackError(
                f"policy pack {directory} failed: {err.details()}\n{pack.stop()}".rstrip()
            ) from None
    report = PolicyReport(
        pack=info.name,
        version=version,
        directory=directory,
        policies=tuple(sorted(p.name for p in info.policies)),
        violations=tuple(run.violations),
        remediations=tuple(run.remediations),
        resources_analyzed=len(resources),
    )
    return report, analyzed
