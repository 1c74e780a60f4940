"""Every `*.rules.yaml` under components/ passes promtool, and every alert in it has a promtool test.

Rule files live next to the component that owns them (`components/<x>/files/*.rules.yaml`), either as a
plain rule file or as a PrometheusRule object; their promtool unit tests (`*.rules.test.yaml`) live
anywhere under components/ or tests/. Test files whose `rule_files` exist as written are run here; the
others (written against an extracted copy) are run by their owners' tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components.observability.rules import load_rule_spec

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "components").glob("*/files/*.rules.yaml"))
TEST_FILES = sorted(
    [*ROOT.glob("components/*/files/*.rules.test.yaml"), *ROOT.glob("tests/**/*.rules.test.yaml")]
)
RUNNABLE_TESTS = [
    path
    for path in TEST_FILES
    if all((path.parent / rule).exists() for rule in yaml.safe_load(path.read_text())["rule_files"])
]
DASHBOARDS = sorted((ROOT / "components").glob("*/files/*dashboard*.json"))
PROMTOOL = shutil.which("promtool")


@pytest.fixture(autouse=True)
def _promtool_installed() -> None:
    """A missing checker fails the suite instead of skipping it: scripts/test.sh installs it."""
    assert PROMTOOL is not None, "promtool missing: run scripts/install-debian-tools.sh"


def _promtool(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMTOOL), *map(str, args)], check=False, capture_output=True, text=True, cwd=cwd
    )


def test_rule_files_are_found() -> None:
    assert {p.name for p in RULE_FILES} >= {"slo.rules.yaml", "platform.rules.yaml"}
    assert {p.name for p in RUNNABLE_TESTS} >= {"slo.rules.test.yaml", "platform.rules.test.yaml"}


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda p: p.name)
def test_rule_file_passes_promtool_lint(rule_file: Path, tmp_path: Path) -> None:
    groups = tmp_path / rule_file.name  # what the Observability component loads, as promtool reads it
    groups.write_text(yaml.safe_dump(load_rule_spec(rule_file)))
    result = _promtool("check", "rules", "--lint=all", "--lint-fatal", groups)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", RUNNABLE_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = _promtool("test", "rules", test_file.name, cwd=test_file.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_promtool_test() -> None:
    alerts = {
        rule["alert"]
        for path in RULE_FILES
        for group in load_rule_spec(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = {
        case["alertname"]
        for path in TEST_FILES
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert alerts - tested == set(), "add promtool test cases for these alerts"


def test_promtool_catches_a_mistuned_threshold(tmp_path: Path) -> None:
    """Negative control: availability page thresholds raised tenfold, the SLO tests must fail."""
    rules = (ROOT / "components/observability/files/slo.rules.yaml").read_text()
    assert "> 0.072\n" in rules and "> 0.03\n" in rules
    (tmp_path / "slo.rules.yaml").write_text(
        rules.replace("> 0.072\n", "> 0.72\n").replace("> 0.03\n", "> 0.3\n")
    )
    test = (ROOT / "tests/rules/slo.rules.test.yaml").read_text()
    (tmp_path / "slo.rules.test.yaml").write_text(
        test.replace("../../components/observability/files/slo.rules.yaml", "slo.rules.yaml")
    )
    result = _promtool("test", "rules", "slo.rules.test.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert "WebAvailabilityErrorBudgetBurnPage" in result.stdout + result.stderr


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_queries_are_valid_promql(dashboard: Path, tmp_path: Path) -> None:
    panels = json.loads(dashboard.read_text())["panels"]
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    assert exprs
    groups = [
        {
            "name": "dashboard",
            "rules": [{"record": f"dashboard:q{i}", "expr": e} for i, e in enumerate(exprs)],
        }
    ]
    (tmp_path / "q.yaml").write_text(yaml.safe_dump({"groups": groups}))
    result = _promtool("check", "rules", tmp_path / "q.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
