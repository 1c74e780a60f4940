"""The project's environment runs on the distribution's optimised CPython (scripts/bootstrap-python.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.interpreter import base_interpreter

PROJECT_DIR = Path(__file__).resolve().parents[2]
DISTRIBUTION_PYTHON = Path("/usr/bin/python3")


def _allowed_by_the_project(python: Path) -> bool:
    """What uv decides from pyproject.toml's requires-python, asked of uv itself."""
    uv = subprocess.run(
        [str(PROJECT_DIR / "scripts" / "ensure-uv.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    with_python = subprocess.run(
        [uv, "sync", "--frozen", "--all-groups", "--dry-run", "--python", str(python)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return with_python.returncode == 0


def test_the_environment_is_built_on_the_distributions_python_when_the_project_allows_it() -> None:
    assert DISTRIBUTION_PYTHON.exists(), "this machine's Debian python3 (the bootstrap installs it)"
    assert _allowed_by_the_project(DISTRIBUTION_PYTHON)
    assert base_interpreter() == os.path.realpath(DISTRIBUTION_PYTHON)


def test_the_interpreter_benchmark_times_the_preview_on_the_environments_own_interpreter() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.interpreter", "--repeat", "1"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    own = next(line for line in run.stdout.splitlines() if "(.venv's)" in line)
    assert own.startswith(f"| {os.path.realpath(DISTRIBUTION_PYTHON)} (.venv's) |")
    assert own.endswith("| 1.00x | 1.00x |")
