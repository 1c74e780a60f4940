"""Issue #19's promise: the refactor changes no resource. Every case's offline preview, as the engine
would match it with the state the baseline commit left (aliases resolved), has the same resources with
the same type, inputs (secrets by digest), options, provider and dependencies, and the same outputs.

The baselines are reviewed files (tests/refactor/baseline/), written only on request from a commit:
    REFACTOR_BASELINE_FROM=bcb080e .venv/bin/pytest tests/refactor -q
(bcb080e: the last commit before the #19 refactor, 7402ddc, with the two intended resource changes
made beside it: the Postgres VM reserves huge pages, kong.yml nests credentials under consumers)
That run fails on purpose (it compared nothing); review `git diff tests/refactor/baseline`, run again.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from offline.program import ProgramRun

from .baseline import baseline_path, write_baselines
from .fingerprint import CASES, Case, compare, dynamic_provider_diffs, fingerprint, render, resolve

REGENERATE = "REFACTOR_BASELINE_FROM"


@pytest.fixture(scope="module")
def rewritten() -> str | None:
    commit = os.environ.get(REGENERATE)
    return write_baselines(commit) if commit else None


def _differences(baseline: dict[str, Any], run: ProgramRun) -> list[str]:
    resolved, errors = resolve(run, baseline["resources"])
    return errors + compare(baseline, fingerprint(run, resolved)) + dynamic_provider_diffs(run)


@pytest.mark.parametrize("name", list(CASES))
def test_the_engine_would_change_nothing(name: str, rewritten: str | None) -> None:
    if rewritten:
        pytest.fail(
            f"baselines rewritten from {rewritten}: review `git diff tests/refactor/baseline`, "
            f"then run again without {REGENERATE}"
        )
    baseline = json.loads(baseline_path(name).read_text())
    case = CASES[name]
    assert (baseline["stack"], baseline["overrides"]) == (case.stack, dict(case.overrides)), (
        f"the baseline of {name} was taken for another case: regenerate it ({REGENERATE}=<commit>)"
    )
    differences = _differences(baseline, render(case))
    assert not differences, (
        f"{name}: against the baseline of {baseline['source'][:12]}, `pulumi up` would act on:\n  "
        + "\n  ".join(differences)
    )


def test_a_changed_input_is_reported_on_the_resource_that_carries_it() -> None:
    """The comparison sees one input of one server change, and nothing else (no vacuous pass)."""
    baseline = json.loads(baseline_path("dev").read_text())
    changed = render(Case("dev", {"cluster.agentPools[0].serverType": "cpx42"}))
    assert _differences(baseline, changed) == [
        "changed: urn:pulumi:dev::platform::platform:index:K3sCluster$hcloud:index/server:Server"
        "::k3s-general-0: inputs.serverType"
    ]
