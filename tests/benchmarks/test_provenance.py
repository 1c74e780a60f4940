"""benchmarks/provenance.py: the spread, the verdict, and that the benchmark's own load is told apart
from other processes' (the cgroup the monitor runs it in)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import provenance
from benchmarks.provenance import CPUACCT_ROOT, Load, LoadMonitor, Provenance, Spread

BUSY_CHILD = "sum(i * i for i in range(3_000_000))"


def _load(background_mean: float | None, cores: int = 2) -> Load:
    background = None if background_mean is None else Spread.of([background_mean])
    return Load(cores, 60.0, Spread.of([1.0]), background, background_mean, 0.1, 1.0, "no cgroup")


def test_spread_is_median_min_max_of_n() -> None:
    spread = Spread.of([1.5, 0.5, 1.0, 2.0])
    assert (spread.median, spread.low, spread.high, spread.n) == (1.25, 0.5, 2.0, 4)
    assert spread.text("x") == "1.25x (min 0.50x, max 2.00x, n=4)"


def test_only_a_run_whose_other_load_stayed_within_the_cores_is_quotable() -> None:
    assert _load(2.0).quotable
    assert not _load(2.01).quotable
    assert "NOT QUOTABLE" in _load(7.5).verdict() and "7.50" in _load(7.5).verdict()
    unknown = _load(None)
    assert not unknown.quotable and unknown.verdict() == "NOT QUOTABLE: no cgroup"


def test_children_run_in_the_monitors_cgroup_and_their_cpu_counts_as_its_own() -> None:
    assert os.geteuid() == 0, "the load monitor needs root for a cpuacct cgroup: run the tests as root"
    before = set(CPUACCT_ROOT.iterdir())
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with LoadMonitor(interval=0.2) as monitor:
        child = subprocess.run(
            [sys.executable, "-c", f"{BUSY_CHILD}; print(open('/proc/self/cgroup').read())"],
            capture_output=True,
            text=True,
            check=True,
        )
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = usage.ru_utime - usage_before.ru_utime + usage.ru_stime - usage_before.ru_stime
    load = monitor.result()
    cpuacct_line = next(line for line in child.stdout.splitlines() if ":cpuacct" in line)
    assert "/benchmark-" in cpuacct_line  # the child ran inside the benchmark's cgroup
    assert load.own_cpu_cores is not None and load.own_cpu_cores * load.seconds >= child_cpu * 0.95
    assert load.background_load is not None and load.background_load.n >= 1
    assert set(CPUACCT_ROOT.iterdir()) == before  # the cgroup is gone, this process back where it was
    assert ":cpuacct:" + "/benchmark-" not in Path("/proc/self/cgroup").read_text()


def test_provenance_names_command_machine_date_and_load() -> None:
    text = Provenance.of(_load(0.5), command="python -m benchmarks.postgres_dr --publish").text()
    assert "command: python -m benchmarks.postgres_dr --publish" in text
    assert f"{os.cpu_count()} cores" in text and "GiB RAM" in text
    assert "date: 20" in text and "quotable" in text


def test_other_load_counts_user_threads_that_run_or_wait_not_kernel_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kernel threads (children of kthreadd) in D state are writeback flushing the benchmark's own
    writes: a quiet run was once called loaded because of them. A process name may hold ") "."""
    threads = {
        ("2", "2"): "2 (kthreadd) S 0 0 0",
        ("50", "50"): "50 (kworker/u4:1-flush) D 2 0 0",
        ("100", "100"): "100 (python3) R 1 100 100",
        ("100", "101"): "101 (python3) S 1 100 100",
        ("200", "200"): "200 (postgres: a) b) D 1 200 200",
    }
    for (pid, tid), stat in threads.items():
        task = tmp_path / pid / "task" / tid
        task.mkdir(parents=True)
        (task / "stat").write_text(stat + "\n")
    monkeypatch.setattr(provenance, "Path", lambda path: tmp_path if path == "/proc" else Path(path))
    assert provenance._active_user_threads() == {"100", "200"}


def test_a_busy_process_outside_the_benchmark_is_other_load() -> None:
    assert os.geteuid() == 0, "the load monitor needs root for a cpuacct cgroup: run the tests as root"
    other = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # started before: not ours
    try:
        with LoadMonitor(interval=0.2) as monitor:
            time.sleep(2)
    finally:
        other.kill()
        other.wait()
    load = monitor.result()
    assert load.background_mean is not None and load.background_mean >= 0.5, load.text()
