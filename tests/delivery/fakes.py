"""Stand-ins the delivery tests put on PATH: small tools written on the fly, and a fake GitHub behind `gh`."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from .workflows import ROOT


def write_tool(bin_dir: Path, name: str, body: str) -> None:
    tool = bin_dir / name
    tool.write_text("#!/usr/bin/env bash\nset -euo pipefail\n" + body)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


class FakeGitHub:
    def __init__(self, tmp_path: Path, bin_dir: Path, env: dict[str, str]) -> None:
        self.state_file = tmp_path / "github.json"
        self.state_file.write_text(json.dumps({"issues": [], "comments": [], "labels": []}))
        write_tool(bin_dir, "gh", f'exec {sys.executable} {Path(__file__).with_name("fake_gh.py")} "$@"\n')
        self.env = env | {"GITHUB_REPOSITORY": "acme/platform", "FAKE_GH_STATE": str(self.state_file)}
        self.tmp_path = tmp_path

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    def seed(self, **lists: list[Any]) -> None:
        self.state_file.write_text(json.dumps(self.state | lists))

    def calls(self) -> list[list[str]]:
        path = Path(f"{self.state_file}.calls")
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def run(self, script: str, *args: str, body: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [str(ROOT / "scripts" / "ci" / script), *args]
        if body is not None:
            body_file = self.tmp_path / "body.md"
            body_file.write_text(body)
            argv.append(str(body_file))
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)
