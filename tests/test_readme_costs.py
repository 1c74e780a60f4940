"""The README's cost figures are what the offline preview computes today, not figures from an older run.

Each case runs `scripts/preview.sh` as the README shows it (without the policy pack, which does not
change the cost) and reads the figures from its `--json` totals."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _preview_totals(tmp_path: Path, args: list[str]) -> dict[str, Any]:
    out = tmp_path / "totals.json"
    subprocess.run(
        [str(ROOT / "scripts" / "preview.sh"), *args, "--no-policy", "--json", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(out.read_text())["cost"]


def _table_row(stack: str) -> tuple[float, float, str]:
    minus = "\N{MINUS SIGN}"
    pattern = rf"^\| {stack} \|[^|]*\| ([\d.]+) \| {minus}([\d.]+) % \| (\w+) \|$"
    match = re.search(pattern, README, re.MULTILINE)
    assert match, f"no cost row for {stack} in the README's cost table"
    return float(match.group(1)), float(match.group(2)), match.group(3)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cost_table_rows_equal_the_preview(stack: str, tmp_path: Path) -> None:
    monthly, saving, against_plan = _table_row(stack)
    cost = _preview_totals(tmp_path, [stack])
    assert (monthly, saving) == (cost["monthly"], cost["savingPercent"])
    assert cost["againstPlan"].startswith(against_plan)
    assert f"vs managed today ({cost['baselineMonthly']:.2f})" in README


def test_legacy_cx_figures_equal_the_preview_of_the_command_shown(tmp_path: Path) -> None:
    block = re.search(
        r"```sh\n(scripts/preview\.sh prod --set legacyServerTypes=true.*?)\n```", README, re.DOTALL
    )
    assert block, "the README shows the CX command"
    args = shlex.split(block.group(1).replace("\\\n", " "))[1:]
    prod = _preview_totals(tmp_path, args)
    dev = _preview_totals(tmp_path, ["dev", *args[1:]])
    stated = re.search(r"pays ([\d.]+) for dev and ([\d.]+) for prod", README)
    assert stated and (float(stated.group(1)), float(stated.group(2))) == (dev["monthly"], prod["monthly"])
