"""The reviewed baselines: the fingerprint of each case as the code of one commit renders it.

They are written only on request, from a commit's tree (never from the working tree a refactor is
changing), by the test run that is asked to, which then fails once so the diff gets read:

    REFACTOR_BASELINE_FROM=3862234 .venv/bin/pytest tests/refactor -q
(3862234: the last commit before the #19 refactor, 7402ddc, with the one intended resource change
made beside it: the Postgres VM reserves the huge pages its tuning needs, #23)

The commit's tree is exported to a scratch directory, the current offline harness and this package are
laid over it (so baseline and comparison use the same mocks), and each case is rendered there in a
child process: `python -m tests.refactor.baseline --emit DIR`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from offline.program import PROJECT_DIR

from .fingerprint import CASES, fingerprint, render, resolve

BASELINE_DIR = Path(__file__).parent / "baseline"


def baseline_path(case: str) -> Path:
    return BASELINE_DIR / f"{case}.json"


def _emit(directory: Path, source: str) -> None:
    """Render every case with the code in the current directory and write its fingerprint."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, case in CASES.items():
        document: dict[str, Any] = {
            "source": source,
            "stack": case.stack,
            "overrides": dict(case.overrides),
            **fingerprint(run := render(case), resolve(run, ())[0]),
        }
        (directory / f"{name}.json").write_text(_one_line_per_entry(document))


def _one_line_per_entry(document: dict[str, Any]) -> str:
    """JSON with one line per resource and per output, so `git diff` names what changed."""
    lines = []
    for key, value in sorted(document.items()):
        if key in ("resources", "outputs"):
            entries = [
                f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(value.items())
            ]
            lines.append(f"{json.dumps(key)}: {{\n" + ",\n".join(entries) + "\n }")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def write_baselines(commit: str) -> str:
    """Render every case with `commit`'s program and write the baselines; returns the full hash."""
    git = ["git", "-C", str(PROJECT_DIR)]
    full = subprocess.run(
        [*git, "rev-parse", "--verify", f"{commit}^{{commit}}"], check=True, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="refactor-baseline-") as scratch:
        tree = Path(scratch) / "tree"
        tree.mkdir()
        archive = subprocess.run([*git, "archive", full], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        shutil.rmtree(tree / "offline")
        shutil.copytree(
            PROJECT_DIR / "offline", tree / "offline", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.rmtree(tree / "tests" / "refactor", ignore_errors=True)
        shutil.copytree(
            Path(__file__).parent,
            tree / "tests" / "refactor",
            ignore=shutil.ignore_patterns("__pycache__", "baseline"),
        )
        out = Path(scratch) / "out"
        subprocess.run(
            [sys.executable, "-m", "tests.refactor.baseline", "--emit", str(out), "--source", full],
            cwd=tree,
            check=True,
        )
        shutil.rmtree(BASELINE_DIR, ignore_errors=True)
        shutil.copytree(out, BASELINE_DIR)
    return full


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emit", type=Path, required=True, help="directory for the fingerprints")
    parser.add_argument("--source", required=True, help="the commit the current directory holds")
    args = parser.parse_args()
    _emit(args.emit, args.source)


if __name__ == "__main__":
    main()
