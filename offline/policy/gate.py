"""One policy run over a whole preview, in the engine's order of calls.

Engine order (pulumi/pulumi step_generator.go and analyzer_plugin.go): start the pack, `Handshake`,
`ConfigureStack`, `GetAnalyzerInfo`, `GetPluginInfo`, `Configure` with the reconciled config; then for
each resource `Remediate` (its returned properties replace the inputs) followed by `Analyze`; finally
`AnalyzeStack` over every resource's outputs. In a preview, a mandatory violation fails the run.

Like the engine's step generator, `Gate` analyzes each resource as the program registers it (on a
thread, while the pack's own process does the checking), so the program and the pack share the
machine's cores instead of taking turns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from ..registration import Registration
from . import messages
from .config import LEVEL_NAMES, configure_request, load_config_file, reconcile
from .pack import PackProject, PolicyPackError, PolicyPackProcess, StackContext
from .verdict import PolicyReport, Remediation, Violation


def _level(number: int) -> str:
    """The engine reports a remediate-level violation that remains after remediation as mandatory."""
    name = LEVEL_NAMES[number]
    return "mandatory" if name == "remediate" else name


@dataclass(frozen=True)
class _Outcome:
    """What the pack said about one resource: the resource after remediation and its findings."""

    resource: Registration
    violations: tuple[Violation, ...]
    remediations: tuple[Remediation, ...]


@dataclass
class _Run:
    pack: PolicyPackProcess
    by_urn: Mapping[str, Registration]

    def violation(self, policy: str, level: str, description: str, message: str, urn: str) -> Violation:
        target = self.by_urn.get(urn)
        return Violation(
            policy,
            level,
            description,
            message,
            urn,
            target.type if target else "",
            target.name if target else "",
        )

    def analyze(self, resource: Registration) -> _Outcome:
        """`Remediate` then `Analyze`, as the engine's step generator does for each registration."""
        violations: list[Violation] = []
        remediations: list[Remediation] = []
        inputs = resource.inputs
        request = messages.analyze_request(resource, inputs, self.by_urn)
        remediated = self.pack.stub.Remediate(request)
        for remediation in remediated.remediations:
            if remediation.diagnostic:
                violations.append(
                    self.violation(
                        remediation.policyName,
                        "advisory",
                        remediation.description,
                        remediation.diagnostic,
                        resource.urn,
                    )
                )
            elif remediation.HasField("properties"):
                inputs = json_format.MessageToDict(remediation.properties)
                remediations.append(
                    Remediation(remediation.policyName, resource.urn, resource.type, resource.name)
                )
        remediated_inputs = inputs != resource.inputs
        if remediated_inputs:
            request = messages.analyze_request(resource, inputs, self.by_urn)
        response = self.pack.stub.Analyze(request)
        violations += [  # the engine files every diagnostic under the analyzed resource
            self.violation(d.policyName, _level(d.enforcementLevel), d.description, d.message, resource.urn)
            for d in response.diagnostics
        ]
        after = replace(resource, inputs=inputs) if remediated_inputs else resource
        return _Outcome(after, tuple(violations), tuple(remediations))

    def analyze_stack(
        self, resources: Sequence[Registration], properties: Mapping[str, struct_pb2.Struct]
    ) -> list[Violation]:
        response = self.pack.stub.AnalyzeStack(messages.analyze_stack_request(resources, properties))
        return [
            self.violation(d.policyName, _level(d.enforcementLevel), d.description, d.message, d.urn)
            for d in response.diagnostics
        ]


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
    with Gate(pack, config_file, connect=False) as gate:
        return gate.finish(resources)


_DONE = object()
_IN_FLIGHT = 4
"""Resources analyzed at once: as many as the pack's server handles at a time (pulumi_policy serves
with four threads), so it always has the next one while this process answers the last."""


class Gate:
    """One policy run: `submit` each resource as it is registered, then `finish` with all of them.

    A thread connects to the started pack, configures it, and hands each submitted resource to a
    worker that sends its `Remediate` and `Analyze`; `finish` analyzes any resource not submitted, then
    sends `AnalyzeStack` and returns the verdict (findings in resource order) and the resources after
    remediation.
    """

    def __init__(self, pack: PolicyPackProcess, config_file: Path | None, *, connect: bool) -> None:
        self.pack = pack
        self._file_config = load_config_file(config_file)
        self._config_source = str(config_file or "policy pack defaults")
        self._connect = connect
        self._by_urn: dict[str, Registration] = {}
        self._run = _Run(pack, self._by_urn)
        self._outcomes: dict[str, Future[_Outcome]] = {}
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._thread = threading.Thread(target=self._work, name="policy-gate", daemon=True)
        self._thread.start()

    def submit(self, resource: Registration) -> None:
        """Queue a registered resource (call in registration order)."""
        self._by_urn[resource.urn] = resource
        self._queue.put(resource)

    def _work(self) -> None:
        try:
            if self._connect:
                self.pack.connect()
            self._info = self.pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
            self.pack.stub.GetPluginInfo(empty_pb2.Empty())
            settings = reconcile(self._info, self._file_config, self._config_source)
            self.pack.stub.Configure(configure_request(settings))
            with ThreadPoolExecutor(_IN_FLIGHT, thread_name_prefix="policy-analyze") as workers:
                while (item := self._queue.get()) is not _DONE:
                    assert isinstance(item, Registration)
                    self._outcomes[item.urn] = workers.submit(self._run.analyze, item)
        except BaseException as err:  # re-raised by finish() on the caller's thread
            self._error = err

    def _join(self) -> None:
        self._queue.put(_DONE)
        self._thread.join()

    def _outcome(self, resource: Registration) -> _Outcome:
        submitted = self._outcomes.get(resource.urn)
        return submitted.result() if submitted is not None else self._run.analyze(resource)

    def finish(self, resources: Sequence[Registration]) -> tuple[PolicyReport, list[Registration]]:
        self._join()
        try:
            if self._error is not None:
                raise self._error
            assert self._info is not None
            self._by_urn.update((r.urn, r) for r in resources)
            outcomes: list[_Outcome] = []
            properties: dict[str, struct_pb2.Struct] = {}
            for resource in resources:
                # each resource's stack properties made as its analysis is done: while the pack works
                # through the last resources, not after it
                outcomes.append(self._outcome(resource))
                properties[resource.urn] = messages.stack_properties(outcomes[-1].resource)
            analyzed = [outcome.resource for outcome in outcomes]
            stack_violations = self._run.analyze_stack(analyzed, properties)
        except grpc.RpcError as err:
            detail = f"{err.details()}\n{self.pack.stop()}".rstrip()
            raise PolicyPackError(f"policy pack {self.pack.project.directory} failed: {detail}") from None
        report = PolicyReport(
            pack=self._info.name,
            version=self.pack.project.version or self._info.version,
            directory=self.pack.project.directory,
            policies=tuple(sorted(p.name for p in self._info.policies)),
            violations=tuple(v for o in outcomes for v in o.violations) + tuple(stack_violations),
            remediations=tuple(r for o in outcomes for r in o.remediations),
            resources_analyzed=len(resources),
        )
        return report, analyzed

    def __enter__(self) -> Gate:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:  # stopping the pack ends a connect or call the thread is waiting in
            self.pack.stop()
        if self._thread.is_alive():
            self._join()
