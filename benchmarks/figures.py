"""The figures README.md and docs/ quote, kept where a test can check them.

A benchmark run with `--publish` saves its figures with their provenance in
`benchmarks/figures/<name>.json` and rewrites every block

    <!-- figures:<name> -->
    ...generated markdown...
    <!-- /figures:<name> -->

in README.md and docs/*.md from that file. Nothing else in those documents may quote a measured
figure: tests/benchmarks/test_figures.py checks that every block is the rendering of its committed
file, that the file names its command, machine, date and spread and came from a run whose other
processes' load stayed within the core count, and that the sources it measured (`inputs`) have not
changed since (a stale figure). Without a committed file the block says how to measure it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .provenance import Provenance, Spread

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIGURES_DIR = PROJECT_DIR / "benchmarks" / "figures"
# Each published figure set and the command that measures it on a quiet machine.
PUBLISH = {
    "postgres_dr": "python -m benchmarks.postgres_dr --publish",
    "postgres_ablation": "python -m benchmarks.postgres_dr --ablation --publish",
    "preview": "python -m benchmarks.preview --publish",
}
BLOCK = re.compile(r"<!-- figures:(?P<name>[a-z_]+) -->\n(?P<body>.*?)<!-- /figures:(?P=name) -->", re.S)


@dataclass(frozen=True)
class Figure:
    label: str
    spread: Spread
    unit: str = ""
    digits: int = 2


def documents(project: Path = PROJECT_DIR) -> list[Path]:
    return [project / "README.md", *sorted((project / "docs").glob("*.md"))]


def digest(paths: Sequence[str], project: Path = PROJECT_DIR) -> dict[str, str]:
    """sha256 of each measured source (project-relative), to tell a figure from a stale one."""
    return {path: hashlib.sha256((project / path).read_bytes()).hexdigest() for path in paths}


def save(
    name: str,
    figures: Sequence[Figure],
    provenance: Provenance,
    inputs: Sequence[str],
    notes: str = "",
    project: Path = PROJECT_DIR,
) -> Path:
    """Write the figures file and refresh the documents' blocks; refuses a run that may not be quoted."""
    if not provenance.quotable:
        raise SystemExit(f"not publishing {name}: {provenance.load.verdict()}")
    record = {
        "name": name,
        "command": provenance.command,
        "machine": asdict(provenance.machine),
        "date": provenance.date,
        "load": provenance.load.text(),
        "background_load": provenance.load.background_mean,
        "cores": provenance.load.cores,
        "inputs": digest(inputs, project),
        "notes": notes,
        "figures": [
            {"label": f.label, "unit": f.unit, "digits": f.digits, **asdict(f.spread)} for f in figures
        ],
    }
    path = project / "benchmarks" / "figures" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    for document in documents(project):
        text = document.read_text()
        updated = BLOCK.sub(lambda m: block(m["name"], project) if m["name"] == name else m[0], text)
        if updated != text:
            document.write_text(updated)
    return path


def load(name: str, project: Path = PROJECT_DIR) -> dict | None:
    path = project / "benchmarks" / "figures" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def render(name: str, project: Path = PROJECT_DIR) -> str:
    """The markdown between a block's markers."""
    record = load(name, project)
    if record is None:
        return (
            f"_Not measured yet: `{PUBLISH[name]}` on a quiet machine fills this in "
            "(it refuses a run whose other processes' load exceeds the core count)._\n"
        )
    machine = record["machine"]
    rows = [
        "| figure | median | min | max | n |",
        "|---|---:|---:|---:|---:|",
    ]
    for f in record["figures"]:
        show = f"{{:.{f['digits']}f}}{f['unit']}".format
        rows.append(
            f"| {f['label']} | **{show(f['median'])}** | {show(f['low'])} | {show(f['high'])} | {f['n']} |"
        )
    provenance = (
        f"Measured by `{record['command']}` on {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
        f"{machine['cpu_model']} (Linux {machine['kernel']}), {record['date']}; other processes' mean "
        f"load {record['background_load']:.2f} on {record['cores']} cores."
    )
    notes = f" {record['notes']}" if record["notes"] else ""
    return "\n".join(rows) + "\n\n" + provenance + notes + "\n"


def block(name: str, project: Path = PROJECT_DIR) -> str:
    return f"<!-- figures:{name} -->\n{render(name, project)}<!-- /figures:{name} -->"


def blocks(text: str) -> Iterator[tuple[str, str]]:
    for match in BLOCK.finditer(text):
        yield match["name"], match["body"]


def problems(project: Path = PROJECT_DIR) -> list[str]:
    """Everything wrong with the quoted figures: stale or hand-edited blocks, missing provenance."""
    found = []
    for document in documents(project):
        for name, body in blocks(document.read_text()):
            where = document.relative_to(project)
            if name not in PUBLISH:
                found.append(f"{where}: block figures:{name} is no known figure set ({', '.join(PUBLISH)})")
            elif body != render(name, project):
                found.append(
                    f"{where}: block figures:{name} differs from benchmarks/figures/{name}.json; "
                    f"regenerate with `{PUBLISH[name]}`, never by hand"
                )
    for path in sorted((project / "benchmarks" / "figures").glob("*.json")):
        record = json.loads(path.read_text())
        where = path.relative_to(project)
        for key in ("command", "date", "load", "machine", "inputs", "figures"):
            if not record.get(key):
                found.append(f"{where}: no {key}")
        machine = record.get("machine") or {}
        for key in ("cores", "ram_gib", "cpu_model"):
            if not machine.get(key):
                found.append(f"{where}: machine has no {key}")
        background, cores = record.get("background_load"), record.get("cores")
        if background is None or cores is None or background > cores:
            found.append(f"{where}: other processes' load {background} above {cores} cores: not quotable")
        for f in record.get("figures", []):
            if not (f["n"] >= 1 and f["low"] <= f["median"] <= f["high"]):
                found.append(f"{where}: figure {f['label']!r} has no valid spread")
        current = digest([p for p in record.get("inputs", {}) if (project / p).exists()], project)
        for source, sha in record.get("inputs", {}).items():
            if current.get(source) != sha:
                found.append(
                    f"{where}: {source} changed since the measurement (stale figure); rerun "
                    f"`{PUBLISH.get(record['name'], record['name'])}`"
                )
    return found
