"""Pulumi's `uv` toolchain, run the way the CLI runs it, in the environment the README sets up.

- The CLI finds uv with `exec.LookPath("uv")` (pulumi/pulumi sdk/python/toolchain/uv.go), for the
  program (`toolchain: uv` in Pulumi.yaml) and, from CLI 3.227 on, for the policy pack (it finds
  ../uv.lock). scripts/ensure-uv.sh may have put uv in .tools/bin, off PATH (issue 14 item 4).
- Before each program and pack start the toolchain runs `uv sync --inexact` in the project (uv.go).
  It must neither rewrite uv.lock nor install the dev tools into the program's environment (item 10).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .workflows import ROOT

README = ROOT / "README.md"
BARE_PATH = "/usr/bin:/bin"


def _readme_environment_line() -> str:
    """The line of the README's deploy commands that sets up the environment, as a user copies it."""
    deploy = README.read_text().split("### 3. Deploy", 1)[1].split("\n### ", 1)[0]
    blocks = [part.split("```", 1)[0] for part in deploy.split("```sh")[1:]]
    (line,) = [line for block in blocks for line in block.splitlines() if "scripts/pulumi-env.sh" in line]
    return line


def _bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": os.environ["HOME"], "PATH": BARE_PATH, "UV_OFFLINE": "1", "LANG": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k in ("UV_CACHE_DIR", "XDG_CACHE_HOME")})
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_readme_puts_uv_where_the_cli_and_the_policy_pack_look_for_it() -> None:
    assert shutil.which("uv", path=BARE_PATH) is None, "not vacuous: uv must not be on the bare PATH"
    script = "\n".join(
        [
            _readme_environment_line(),
            "command -v uv",  # where the CLI looks, from the user's shell
            # where the pack and the program look: inside the toolchain's environment
            "uv run --frozen python -c 'import shutil; print(shutil.which(\"uv\"))'",
        ]
    )
    done = _bash(script, ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    found = done.stdout.split()
    assert len(found) == 2 and all(path.endswith("/uv") for path in found), done.stdout
    assert found[0] == found[1]


@pytest.fixture
def drifted_project(tmp_path: Path) -> Path:
    """pyproject.toml and uv.lock of this project, with pyproject edited after the last `uv lock`."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "uv.lock", project)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '    "croniter>=7.0.0",\n' in pyproject
    (project / "pyproject.toml").write_text(pyproject.replace('    "croniter>=7.0.0",\n', ""))
    return project


def test_the_toolchains_sync_keeps_uv_lock_and_installs_no_dev_tools(drifted_project: Path) -> None:
    lock_before = (drifted_project / "uv.lock").read_bytes()
    script = "\n".join(
        [
            f"cd {ROOT}",
            _readme_environment_line(),
            f"cd {drifted_project}",
            "uv sync --inexact",  # what the uv toolchain runs before the program and before the pack
        ]
    )
    done = _bash(script, drifted_project)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (drifted_project / "uv.lock").read_bytes() == lock_before, "the toolchain rewrote uv.lock"
    (site,) = (drifted_project / ".venv" / "lib").glob("python3*/site-packages")
    assert (site / "pulumi").is_dir(), "the program's dependencies are installed"
    dev_tools = [name for name in ("pytest", "moto", "mypy", "ruff", "awscli") if (site / name).exists()]
    assert dev_tools == [], f"the toolchain installed dev tools into the program's environment: {dev_tools}"
