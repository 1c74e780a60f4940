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
    """A remediate-level policy rewrote a resource's inputs before analysis."""

    policy: str
    urn: str
    resource_type: str
    resource_name: str


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


def _level(number: int) -> str:
    """The engine reports a remediate-level violation that remains after remediation as mandatory."""
    name = LEVEL_NAMES[number]
    return "mandatory" if name == "remediate" else name


@dataclass
class _Run:
    pack: PolicyPackProcess
    by_urn: Mapping[str, Registration]
    violations: list[Violation] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)

    def violation(self, policy: str, level: str, description: str, message: str, urn: str) -> None:
        target = self.by_urn.get(urn)
        self.violations.append(
            Violation(
                policy,
                level,
                description,
                message,
                urn,
                target.type if target else "",
                target.name if target else "",
            )
        )

    def analyze(self, resource: Registration) -> Registration:
        """`Remediate` then `Analyze`, as the engine's step generator does for each registration."""
        inputs = dict(resource.inputs)
        remediated = self.pack.stub.Remediate(messages.analyze_request(resource, inputs, self.by_urn))
        for remediation in remediated.remediations:
            if remediation.diagnostic:
                self.violation(
                    remediation.policyName,
                    "advisory",
                    remediation.description,
                    remediation.diagnostic,
                    resource.urn,
                )
            elif remediation.HasField("properties"):
                inputs = json_format.MessageToDict(remediation.properties)
                self.remediations.append(
                    Remediation(remediation.policyName, resource.urn, resource.type, resource.name)
                )
        response = self.pack.stub.Analyze(messages.analyze_request(resource, inputs, self.by_urn))
        for d in response.diagnostics:  # the engine files every diagnostic under the analyzed resource
            self.violation(d.policyName, _level(d.enforcementLevel), d.description, d.message, resource.urn)
        return replace(resource, inputs=inputs) if inputs != dict(resource.inputs) else resource

    def analyze_stack(self, resources: Sequence[Registration]) -> None:
        response = self.pack.stub.AnalyzeStack(messages.analyze_stack_request(resources))
        for d in response.diagnostics:
            self.violation(d.policyName, _level(d.enforcementLevel), d.description, d.message, d.urn)


def run_policy_pack(
    directory: Path,
    resources: Sequence[Registration],
    context: StackContext,
    config_file: Path | None = None,
) -> tuple[PolicyReport, list[Registration]]:
    """Start the pack, run it over the preview, stop it: the verdict and the remediated resources."""
    with PolicyPackProcess(PackProject.load(directory), context) as pack:
        return analyze(pack, resources, config_file)


def analyze(
    pack: PolicyPackProcess, resources: Sequence[Registration], config_file: Path | None = None
) -> tuple[PolicyReport, list[Registration]]:
    """Run a connected pack over the preview; the verdict and the resources after remediation."""
    file_config = load_config_file(config_file)
    try:
        info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
        pack.stub.GetPluginInfo(empty_pb2.Empty())
        settings = reconcile(info, file_config, str(config_file or "policy pack defaults"))
        pack.stub.Configure(configure_request(settings))
        run = _Run(pack, {r.urn: r for r in resources})
        analyzed = [run.analyze(resource) for resource in resources]
        run.analyze_stack(analyzed)
    except grpc.RpcError as err:
        raise PolicyPackError(
            f"policy pack {pack.project.directory} failed: {err.details()}\n{pack.stop()}".rstrip()
        ) from None
    report = PolicyReport(
        pack=info.name,
        version=pack.project.version or info.version,
        directory=pack.project.directory,
        policies=tuple(sorted(p.name for p in info.policies)),
        violations=tuple(run.violations),
        remediations=tuple(run.remediations),
        resources_analyzed=len(resources),
    )
    return report, analyzed
