"""`python -m offline preview` as its own process, the way scripts/preview.sh and CI run it: the whole
report reaches a pipe and the exit status says pass, policy failure or bad input, although the process
leaves without tearing its interpreter down (offline/__main__.py); and the command line reads the
stack and starts the pack before it loads the provider SDKs (offline/cli.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from offline.program import PROJECT_DIR

from .fresh_interpreter import fresh_python


def _preview(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as usual
    return subprocess.run(
        [sys.executable, "-m", "offline", "preview", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_a_passing_preview_prints_its_whole_report_to_a_pipe() -> None:
    result = _preview("dev")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Previewing update (dev) offline")
    assert "Policies:" in lines
    assert lines[-1].startswith("Duration:"), lines[-3:]


def test_a_mandatory_violation_exits_1_with_the_report() -> None:
    result = _preview("dev", "--set", 'adminCidrs=["0.0.0.0/0"]')
    assert result.returncode == 1, result.stderr
    assert (
        "- [mandatory]  hcloud-database-not-public  (hcloud:index/server:Server: postgres-server)"
        in result.stdout
    )
    assert result.stdout.splitlines()[-1].startswith("Duration:")


def test_bad_input_exits_2_with_one_message() -> None:
    result = _preview("staging")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: no stack file Pulumi.staging.yaml; stacks here: dev, prod")


def test_the_command_line_starts_the_pack_before_it_loads_the_program_and_the_provider_sdks() -> None:
    """What `preview_command` has imported when it starts the pack: no provider SDK, not the runner."""
    probe = (
        "import sys, offline.cli\n"
        "heavy = ('pulumi_kubernetes', 'pulumi_hcloud', 'pulumi_tls', 'pulumi_random', 'cryptography',\n"
        "         'offline.program', 'offline.preview_run', 'offline.policy.gate')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    assert fresh_python(probe).strip() == "[]"
