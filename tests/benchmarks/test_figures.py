"""The figures README.md and docs/ quote come from a committed, quotable, current measurement
(benchmarks/figures.py), and a hand-edited, stale or provenance-less figure is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import figures
from benchmarks.figures import Figure
from benchmarks.provenance import Load, Machine, Provenance, Spread


def test_the_documents_quote_only_committed_quotable_current_figures() -> None:
    assert figures.problems() == []


def test_every_figure_set_has_a_block_in_the_documents() -> None:
    quoted = {name for doc in figures.documents() for name, _ in figures.blocks(doc.read_text())}
    assert quoted == set(figures.PUBLISH)


def _provenance(background_mean: float) -> Provenance:
    load = Load(2, 600.0, Spread.of([1.0]), Spread.of([background_mean]), background_mean, 0.2, 1.7)
    machine = Machine(2, 23.5, "Intel(R) Xeon(R) Processor", "6.18")
    return Provenance("python -m benchmarks.postgres_dr --publish", machine, "2026-12-01 13:30 UTC", load)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "postgres_dr.py").write_text("# the benchmark\n")
    block = figures.block("postgres_dr", tmp_path)
    (tmp_path / "README.md").write_text(f"# Project\n\nFigures:\n\n{block}\n\nMore text.\n")
    (tmp_path / "docs" / "postgres.md").write_text(f"Same figures:\n\n{block}\n")
    return tmp_path


def _publish(project: Path, background_mean: float = 0.4) -> None:
    table = [Figure("pgbench read-only, tuned / defaults (tps)", Spread.of([1.31, 1.25, 1.40]), "x")]
    figures.save(
        "postgres_dr", table, _provenance(background_mean), ["benchmarks/postgres_dr.py"], "", project
    )


def test_publishing_fills_every_block_with_figures_and_provenance(project: Path) -> None:
    assert "Not measured yet" in (project / "README.md").read_text()
    _publish(project)
    readme = (project / "README.md").read_text()
    assert "| pgbench read-only, tuned / defaults (tps) | **1.31x** | 1.25x | 1.40x | 3 |" in readme
    assert "`python -m benchmarks.postgres_dr --publish`" in readme and "2026-12-01 13:30 UTC" in readme
    assert "Intel(R) Xeon(R) Processor" in readme and "mean load 0.40 on 2 cores" in readme
    assert readme.endswith("<!-- /figures:postgres_dr -->\n\nMore text.\n")
    assert "**1.31x**" in (project / "docs" / "postgres.md").read_text()
    assert figures.problems(project) == []


def test_a_run_under_load_is_not_published(project: Path) -> None:
    with pytest.raises(SystemExit, match="not publishing postgres_dr: NOT QUOTABLE"):
        _publish(project, background_mean=9.7)
    assert not (project / "benchmarks" / "figures").exists()
    assert "Not measured yet" in (project / "README.md").read_text()


def test_a_hand_edited_figure_is_caught(project: Path) -> None:
    _publish(project)
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("**1.31x**", "**1.88x**"))
    assert figures.problems(project) == [
        "README.md: block figures:postgres_dr differs from benchmarks/figures/postgres_dr.json; "
        "regenerate with `python -m benchmarks.postgres_dr --publish`, never by hand"
    ]


def test_a_figure_whose_benchmark_changed_since_is_stale(project: Path) -> None:
    _publish(project)
    (project / "benchmarks" / "postgres_dr.py").write_text("# the benchmark, now measuring something else\n")
    assert figures.problems(project) == [
        "benchmarks/figures/postgres_dr.json: benchmarks/postgres_dr.py changed since the measurement "
        "(stale figure); rerun `python -m benchmarks.postgres_dr --publish`"
    ]


def test_a_figures_file_without_provenance_or_from_a_loaded_run_is_caught(project: Path) -> None:
    _publish(project)
    path = project / "benchmarks" / "figures" / "postgres_dr.json"
    record = json.loads(path.read_text())
    record["machine"]["cpu_model"] = ""
    record["date"] = ""
    record["background_load"] = 3.5
    path.write_text(json.dumps(record))
    found = figures.problems(project)
    assert "benchmarks/figures/postgres_dr.json: no date" in found
    assert "benchmarks/figures/postgres_dr.json: machine has no cpu_model" in found
    assert (
        "benchmarks/figures/postgres_dr.json: other processes' load 3.5 above 2 cores: not quotable" in found
    )


def test_an_unknown_block_is_caught(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(
        readme.read_text() + "\n<!-- figures:boot_time -->\n1.2 s\n<!-- /figures:boot_time -->\n"
    )
    assert figures.problems(project) == [
        "README.md: block figures:boot_time is no known figure set (postgres_dr, postgres_ablation, preview)"
    ]
