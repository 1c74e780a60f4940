"""The gate analyzes resources as the program registers them: the verdict is the one of a pack run over
the finished preview, for the real program and the real pack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto.analyzer_pb2 import AnalyzeStackRequest

from offline.policy import messages
from offline.policy.gate import Gate, run_policy_pack
from offline.policy.pack import PackProject, PolicyPackProcess, StackContext
from offline.program import PROJECT_DIR, Registration, run_with_settings
from offline.stack_file import read_stack

POLICIES = PROJECT_DIR / "policies"


def test_streamed_verdict_is_the_verdict_over_the_finished_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[list[Registration], AnalyzeStackRequest]] = []
    build = messages.analyze_stack_request

    def recorded(resources: list[Registration], properties: Any = None) -> AnalyzeStackRequest:
        sent.append((list(resources), build(resources, properties)))
        return sent[-1][1]

    monkeypatch.setattr(messages, "analyze_stack_request", recorded)
    settings = read_stack(PROJECT_DIR, "dev", {"adminCidrs": ["0.0.0.0/0"]}, {})  # a mandatory violation
    context = StackContext(
        "organization", settings.project, "dev", settings.config, tuple(settings.secret_keys)
    )
    config: Path = POLICIES / "config.dev.json"
    pack = PolicyPackProcess(PackProject.load(POLICIES), context)
    pack.start()
    try:
        with Gate(pack, config, connect=True) as gate:
            run = run_with_settings(settings, on_register=gate.submit)
            streamed, streamed_resources = gate.finish(run.resources)
    finally:
        pack.stop()
    batch, batch_resources = run_policy_pack(POLICIES, run.resources, context, config)
    assert streamed.mandatory, "the open admin CIDR must fail the gate"
    assert streamed.violations == batch.violations
    assert streamed.remediations == batch.remediations
    assert streamed.resources_analyzed == batch.resources_analyzed == len(run.resources)
    assert [r.inputs for r in streamed_resources] == [r.inputs for r in batch_resources]
    # the stack properties the gate made as each analysis finished are the ones made all at once
    assert len(sent) == 2 and all(request == build(resources) for resources, request in sent)
