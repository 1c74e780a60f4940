"""benchmarks/postgres_dr.py on Debian's real PostgreSQL and pgBackRest: the quick mode runs every
section end to end (tiny, not for figures), the tuned settings are read back from the running server,
and the ablation leaves out what PostgreSQL's own defaults already give."""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks.figures import PROJECT_DIR
from benchmarks.postgres_dr import Plan, Target, not_applied, serving

pytestmark = pytest.mark.slow

QUICK = Plan(1, 1, 1, 0, 1, 2, 1, 1, quick=True)


def _benchmark(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.postgres_dr", "--quick", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_target_models_the_stacks_database_server_and_app() -> None:
    dev = Target.of("dev")
    # Pulumi.dev.yaml: web maxReplicas 3, one mailer worker, two cron jobs: 6 processes x 10 connections;
    # postgres.serverType defaults to cpx32 (8 GB, Hetzner's catalog).
    assert (dev.server_type.name, dev.server_type.memory_gib, dev.clients) == ("cpx32", 8, 60)
    assert dev.archive_timeout == 60


def test_quick_run_prints_every_figure_with_its_provenance() -> None:
    """The crash section with a heartbeat shorter than archive_timeout: no heartbeat row reaches the
    archive before the kill, which used to end the run with `ValueError: could not convert string to
    float: ''`; now everything written after the table was archived counts as lost."""
    out = _benchmark()
    for workload in ("read-only", "mixed", "read-write"):
        assert f"pgbench {workload}, tuned / defaults (tps): " in out
    assert "restore: pg_restore time / pgBackRest restore + recovery: " in out
    lost = next(line for line in out.splitlines() if line.startswith("commits lost after SIGKILL"))
    assert float(lost.split(": ", 1)[1].split(" s ")[0]) >= 1.0  # two commits a second apart, both lost
    assert "command: python -m benchmarks.postgres_dr --quick" in out
    assert "machine: " in out and "date: " in out and "other processes' load" in out


def test_quick_runs_are_never_published() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.postgres_dr", "--quick", "--publish"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "never published" in result.stderr


def test_a_tuned_setting_the_server_does_not_run_with_is_reported() -> None:
    with serving(Target.of("dev"), QUICK) as server:
        tuned = server.host.spec.tuned_settings
        assert not_applied(tuned, server.restart(tuned)) == []
        # An ALTER SYSTEM on the VM (postgresql.auto.conf) silently wins over the rendered file.
        server.host.psql("alter system set work_mem = '4MB'")
        # 20164kB: docs/postgres.md's PGTune table for an 8 GB, 4 vCPU server.
        assert not_applied(tuned, server.restart(tuned)) == [
            "work_mem: rendered '20164kB', server shows '4MB'"
        ]


def test_ablation_measures_only_settings_the_defaults_do_not_already_give() -> None:
    out = _benchmark("--ablation")
    # PostgreSQL 15's defaults: checkpoint_completion_target 0.9, huge_pages try,
    # max_parallel_workers_per_gather 2, max_parallel_maintenance_workers 2; wal_buffers -1 derives
    # 16MB from a 2 GB shared_buffers, as tuned.
    assert (
        "same as the default on this server, not measured: ['checkpoint_completion_target', 'huge_pages', "
        "'max_parallel_maintenance_workers', 'max_parallel_workers_per_gather']"
    ) in out
    assert "wal_buffers: reverting it leaves every value as tuned" in out
    measured = [line for line in out.splitlines() if line.startswith("mixed tps without `")]
    assert [line.split("`")[1] for line in measured] == [
        "shared_buffers",
        "effective_cache_size",
        "maintenance_work_mem",
        "work_mem",
        "min_wal_size",
        "max_wal_size",
        "random_page_cost",
        "effective_io_concurrency",
        "jit",
        "max_worker_processes",
        "max_parallel_workers",
        "huge pages reserved (bootstrap.sh)",
    ]
