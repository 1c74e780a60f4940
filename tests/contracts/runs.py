"""The runs the contract tests read: dev, prod, and prod with the autoscaled pool (the only stack that
installs the cluster-autoscaler chart). One run per stack per session."""

from __future__ import annotations

import functools

from offline.program import ProgramRun, run_program
from tests.contracts.charts import ChartValues, chart_releases
from tests.graph import stack_config
from tests.pilot_runs import stack_run

STACKS = ("dev", "prod", "prod-autoscaler")

_AUTOSCALER = {"enabled": True, "minNodes": 0, "maxNodes": 5, "serverType": "cpx42"}


@functools.cache
def contract_run(stack: str) -> ProgramRun:
    if stack == "prod-autoscaler":
        cluster = {**stack_config("prod", "cluster"), "autoscaler": _AUTOSCALER}
        return run_program("prod", overrides={"cluster": cluster})
    return stack_run(stack)


def one_release_per_chart() -> dict[str, ChartValues]:
    """One release per chart over every contract stack (the values these tests read are the same in each)."""
    found: dict[str, ChartValues] = {}
    for stack in STACKS:
        for release in chart_releases(contract_run(stack)):
            found.setdefault(release.chart, release)
    return found
