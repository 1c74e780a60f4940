"""Run a snippet in a new interpreter of this environment, in the project directory: what a module
imports is only visible in a process that has imported nothing else."""

from __future__ import annotations

import subprocess
import sys

from offline.program import PROJECT_DIR


def fresh_python(code: str, *args: str) -> str:
    """The snippet's stdout (it must exit 0)."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    return result.stdout
