"""Scaling one agent pool up or down adds or removes that pool's servers and changes nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from offline.program import ProgramRun, run_program

from ..graph import diff, stack_config


def _with_pools(general: int, batch: int = 1) -> dict[str, Any]:
    cluster = stack_config("prod", "cluster")
    return {
        "cluster": {
            **cluster,
            "agentPools": [
                {"name": "general", "count": general, "serverType": "cpx32"},
                {"name": "batch", "count": batch, "serverType": "cpx42", "taints": ["batch=true:NoSchedule"]},
            ],
        }
    }


@pytest.fixture(scope="module")
def two_pools() -> ProgramRun:
    return run_program("prod", overrides=_with_pools(general=2))


def test_scaling_up_one_pool_adds_only_its_servers(two_pools: ProgramRun) -> None:
    change = diff(two_pools, run_program("prod", overrides=_with_pools(general=4)))
    assert change.added == {"k3s-general-2", "k3s-general-3"}
    assert change.removed == set()
    assert change.changed == set(), "no other server (or anything else, Secrets included) changes"
    assert change.drifted == set(), "no existing server would boot differently when rebuilt"


def test_scaling_down_removes_the_highest_numbered_servers_only(two_pools: ProgramRun) -> None:
    change = diff(two_pools, run_program("prod", overrides=_with_pools(general=1)))
    assert change.removed == {"k3s-general-1"}
    assert change.added == set() and change.changed == set() and change.drifted == set()


def test_growing_past_ten_adds_a_placement_group_and_touches_no_existing_server(
    two_pools: ProgramRun,
) -> None:
    change = diff(two_pools, run_program("prod", overrides=_with_pools(general=11)))
    assert "network-pool-general-1" in change.added, "an eleventh agent needs a second spread group"
    assert {f"k3s-general-{i}" for i in range(2, 11)} <= change.added
    assert change.changed == set() and change.removed == set() and change.drifted == set()


def test_the_comparison_catches_a_pool_change_that_would_touch_others(two_pools: ProgramRun) -> None:
    """Failing case: moving a pool in the list renumbers its subnet, and the diff shows the servers."""
    cluster = _with_pools(general=2)["cluster"]
    swapped = {**cluster, "agentPools": list(reversed(cluster["agentPools"]))}
    change = diff(two_pools, run_program("prod", overrides={"cluster": swapped}))
    assert {"k3s-general-0", "k3s-batch-0"} <= change.changed
