"""Every Helm chart is a `ChartPin` installed by `components.helm.release`, and the `# renovate:` line
above its version names the same chart and repository: what Renovate updates is what Pulumi installs."""

from __future__ import annotations

import ast
from pathlib import Path

from components import versions

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "components" / "versions.py"


def pin_mismatches(source: str) -> dict[str, str]:
    """ChartPin name -> how its version's `# renovate:` annotation disagrees with it."""
    lines = source.splitlines()
    assigned = {
        node.targets[0].id: node
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    problems = {}
    for name, node in assigned.items():
        call = node.value
        if not (
            isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "ChartPin"
        ):
            continue
        chart, version, repo = call.args
        if not (
            isinstance(chart, ast.Constant)
            and isinstance(chart.value, str)
            and isinstance(version, ast.Name)
            and isinstance(repo, ast.Constant)
            and isinstance(repo.value, str)
        ):
            problems[name] = 'write ChartPin("chart", ANNOTATED_VERSION_CONSTANT, "https://repository")'
            continue
        above = lines[assigned[version.id].lineno - 2]
        expected = f"# renovate: datasource=helm depName={chart.value} registryUrl={repo.value}"
        if above != expected:
            problems[name] = f"{version.id} is annotated {above!r}, expected {expected!r}"
    return problems


def test_every_chart_pin_agrees_with_its_renovate_annotation() -> None:
    source = VERSIONS.read_text()
    assert pin_mismatches(source) == {}
    pins = [value for value in vars(versions).values() if isinstance(value, versions.ChartPin)]
    assert (
        len(pins) >= 9
    )  # CCM, CSI, SeaweedFS, cert-manager, kube-prometheus-stack, Loki, Alloy, kured, autoscaler


def test_a_pin_whose_annotation_names_another_chart_is_reported() -> None:
    source = (
        "# renovate: datasource=helm depName=loki registryUrl=https://grafana-community.github.io/helm-charts\n"
        'LOKI_CHART_VERSION = "18.11.0"\n'
        'LOKI = ChartPin("loki", LOKI_CHART_VERSION, "https://grafana.github.io/helm-charts")\n'
    )
    assert list(pin_mismatches(source)) == ["LOKI"]
