"""Issue #19's promise: the refactor changes no resource. Every case's offline preview, as the engine
would match it with the state the baseline commit left (aliases resolved), has the same resources with
the same type, inputs (secrets by digest), options, provider and dependencies, and the same outputs.

The baselines are reviewed files (tests/refactor/baseline/), written only on request from a commit:
    REFACTOR_BASELINE_FROM=3862234 .venv/bin/pytest tests/refactor -q
(3862234: the last commit before the #19 refactor, 7402ddc, with the one intended resource change
made beside it: the Postgres VM reserves the huge pages its tuning needs, #23)
That run fails on purpose (it compared nothing); review `git diff tests/refactor/baseline`, run again.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from offline.program import ProgramRun

from .baseline import baseline_path, write_baselines
from .fingerprint import CASES, Case, compare, dynamic_provider_diffs, fingerprint, render, resolve

REGENERATE = "REFACTOR_BASELINE_FROM"

_PROD = ("prod", "prod-self-hosted", "prod-autoscaler")
ACCEPTED: dict[str, dict[str, str]] = {
    case: {
        "dependencies: -urn:pulumi:prod::platform::platform:index:K3sCluster$kubernetes:core/v1:Secret"
        "::k3s-etcd-s3": (
            "#19 split: the object store waited for the etcd snapshot Secret only because K3sCluster.addons "
            "held it; it waits for ClusterAddons.addons (hcloud Secret, CCM, CSI) now. Only the state's "
            "dependency list changes: `pulumi up` performs no step for it."
        )
    }
    for case in _PROD
}
"""Reviewed differences, per case: one part of a `changed:` line each, with the reason it is no change
in behaviour. Each must still occur (a stale entry fails)."""


@pytest.fixture(scope="module")
def rewritten() -> str | None:
    commit = os.environ.get(REGENERATE)
    return write_baselines(commit) if commit else None


def _without_accepted(differences: list[str], accepted: dict[str, str]) -> tuple[list[str], set[str]]:
    """The differences left once the accepted parts are taken out, and the accepted parts seen."""
    left: list[str] = []
    seen: set[str] = set()
    for line in differences:
        match = re.fullmatch(r"changed: (\S+): (.*)", line)
        if match is None:
            left.append(line)
            continue
        parts = match.group(2).split("; ")
        seen.update(part for part in parts if part in accepted)
        rest = [part for part in parts if part not in accepted]
        if rest:
            left.append(f"changed: {match.group(1)}: {'; '.join(rest)}")
    return left, seen


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
    accepted = ACCEPTED.get(name, {})
    differences, seen = _without_accepted(_differences(baseline, render(case)), accepted)
    assert seen == set(accepted), f"{name}: accepted differences that no longer occur: {set(accepted) - seen}"
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
