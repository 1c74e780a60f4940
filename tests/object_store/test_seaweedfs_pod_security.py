"""Every SeaweedFS container the chart creates satisfies Pod Security `restricted` (the namespace
enforces it), from the security contexts the program passes on the chart's own keys."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components import versions
from offline.program import ProgramRun
from tests.upstream_data import upstream_file

RESTRICTED_SECCOMP = {"RuntimeDefault", "Localhost"}


def _seaweedfs_values(run: ProgramRun) -> dict[str, Any]:
    (release,) = [
        r for r in run.of_type("kubernetes:helm.sh/v3:Release") if r.plain_inputs["chart"] == "seaweedfs"
    ]
    values: dict[str, Any] = release.plain_inputs["values"]
    return values


def restricted_problems(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """What Pod Security `restricted` refuses, with the container's settings over the pod's."""

    def effective(field: str) -> Any:
        return container.get(field, pod.get(field))

    problems = []
    if effective("runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    if container.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if "ALL" not in (container.get("capabilities") or {}).get("drop", []):
        problems.append("capabilities do not drop ALL")
    if (effective("seccompProfile") or {}).get("type") not in RESTRICTED_SECCOMP:
        problems.append("no RuntimeDefault seccomp profile")
    if container.get("privileged"):
        problems.append("privileged")
    return problems


def test_every_component_runs_restricted_on_keys_the_chart_reads(dev_run: ProgramRun) -> None:
    values = _seaweedfs_values(dev_run)
    chart = yaml.safe_load(
        upstream_file(f"charts/seaweedfs-{versions.SEAWEEDFS_CHART_VERSION}/values.yaml").read_text()
    )
    components = [
        name for name, v in values.items() if isinstance(v, dict) and "containerSecurityContext" in v
    ]
    assert {"master", "volume", "filer"} <= set(components)
    for name in components:
        assert {"podSecurityContext", "containerSecurityContext"} <= set(chart[name]), name
        pod, container = values[name]["podSecurityContext"], values[name]["containerSecurityContext"]
        assert pod.get("enabled") and container.get("enabled"), f"{name}: the chart renders them when enabled"
        assert restricted_problems(pod, container) == [], name


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"runAsNonRoot": False}, "runAsNonRoot is not true"),
        ({"allowPrivilegeEscalation": True}, "allowPrivilegeEscalation is not false"),
        ({"capabilities": {"drop": []}}, "capabilities do not drop ALL"),
    ],
)
def test_the_check_refuses_what_restricted_refuses(
    dev_run: ProgramRun, change: dict[str, Any], problem: str
) -> None:
    master = _seaweedfs_values(dev_run)["master"]
    container = {**master["containerSecurityContext"], **change}
    assert problem in restricted_problems(master["podSecurityContext"], container)
