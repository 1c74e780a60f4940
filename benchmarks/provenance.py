"""Where a benchmark figure comes from: the one way every benchmark states its provenance.

A figure is only worth quoting with the command that produced it, the machine (cores, RAM, CPU model),
the date, its spread (median with min and max of N) and the load that OTHER processes put on the
machine while it ran. A benchmark that drives pgbench loads the machine itself, so the system load
average alone cannot tell a quiet machine from a busy one; the monitor therefore runs the benchmark
(and every process it starts, the database server included) in a cgroup of its own and subtracts it:

- background load: the runnable and uninterruptible user-space threads (what the load average counts)
  outside the benchmark's cgroup, sampled through the run. Its mean is comparable to a load average of
  the other processes alone. Kernel threads are left out: during a database benchmark the ones in
  uninterruptible sleep are mostly flushing the benchmark's own writes (a first version counted them,
  through /proc/stat's totals, and called a run quiet in which other processes used 0.03 of 2 cores
  "loaded": mean 2.27, median 0, from writeback threads).
- other processes' CPU: busy CPU time of the whole system (/proc/stat) minus the benchmark cgroup's
  own (cpuacct.usage), in cores, averaged over the run.

The verdict: a figure may be quoted when the background load stayed, on average, at most the number of
cores (docs/CONVENTIONS.md, "Figures"). Needs root and cgroup v1's cpuacct controller at
/sys/fs/cgroup/cpuacct; without them the verdict is "not quotable" with the reason.

    with LoadMonitor() as monitor:
        ...run the benchmark...
    print(Provenance.of(monitor.result()).text())
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import shlex
import statistics
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

CPUACCT_ROOT = Path("/sys/fs/cgroup/cpuacct")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# /proc/stat "cpu" columns: user nice system idle iowait irq softirq steal guest guest_nice. Busy is
# everything but idle and iowait; guest time is already counted in user (proc(5)).
BUSY_COLUMNS = (0, 1, 2, 5, 6, 7)


@dataclass(frozen=True)
class Spread:
    """Median with min and max of N values."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        data = list(values)
        if not data:
            raise ValueError("a spread needs at least one value")
        return cls(statistics.median(data), min(data), max(data), len(data))

    def text(self, unit: str = "", digits: int = 2) -> str:
        def show(value: float) -> str:
            return f"{value:.{digits}f}{unit}"

        return f"{show(self.median)} (min {show(self.low)}, max {show(self.high)}, n={self.n})"


@dataclass(frozen=True)
class Machine:
    cores: int
    ram_gib: float
    cpu_model: str
    kernel: str

    @classmethod
    def current(cls) -> Machine:
        meminfo = Path("/proc/meminfo").read_text()
        ram_kb = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal:")))
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
        return cls(
            cores=os.cpu_count() or 1,
            ram_gib=round(ram_kb / 1024 / 1024, 1),
            cpu_model=model or platform.processor() or "unknown CPU",
            kernel=platform.release(),
        )

    def text(self) -> str:
        return f"{self.cores} cores, {self.ram_gib} GiB RAM, {self.cpu_model}, Linux {self.kernel}"


@dataclass(frozen=True)
class Load:
    """The load on the machine during one run, and whose it was."""

    cores: int
    seconds: float
    loadavg_1min: Spread
    """The system's 1-minute load average, sampled through the run (the benchmark's own tasks included)."""
    background_load: Spread | None
    """Runnable + uninterruptible tasks outside the benchmark's cgroup, sampled through the run."""
    background_mean: float | None
    """Their mean: the load average of the other processes alone, the verdict's measure."""
    others_cpu_cores: float | None
    """Other processes' busy CPU, in cores averaged over the run."""
    own_cpu_cores: float | None
    problem: str = ""
    """Why the benchmark's own share could not be separated (then the run is not quotable)."""

    @property
    def quotable(self) -> bool:
        return self.background_mean is not None and self.background_mean <= self.cores

    def verdict(self) -> str:
        if self.background_mean is None:
            return f"NOT QUOTABLE: {self.problem}"
        if not self.quotable:
            return (
                f"NOT QUOTABLE: other processes' mean load {self.background_mean:.2f} is above the "
                f"{self.cores} cores; rerun on a quiet machine"
            )
        return f"quotable: other processes' mean load {self.background_mean:.2f} <= {self.cores} cores"

    def text(self) -> str:
        lines = [f"load average (1 min, all processes) {self.loadavg_1min.text()}"]
        if self.background_load is not None:
            lines.append(
                f"other processes' load (runnable tasks) mean {self.background_mean:.2f}, "
                f"median {self.background_load.text()}"
            )
        if self.others_cpu_cores is not None and self.own_cpu_cores is not None:
            lines.append(
                f"CPU used over {self.seconds:.0f} s: other processes {self.others_cpu_cores:.2f} cores, "
                f"this benchmark {self.own_cpu_cores:.2f} cores, of {self.cores}"
            )
        lines.append(self.verdict())
        return "; ".join(lines)


def _busy_seconds() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(fields[i]) for i in BUSY_COLUMNS if i < len(fields)) / CLOCK_TICKS


def _active_user_threads() -> set[str]:
    """The thread ids of user-space threads that are runnable (R) or uninterruptible (D), as the load
    average counts them; kernel threads (kthreadd, pid 2, and its children) are not counted."""
    active = set()
    for stat_path in Path("/proc").glob("[0-9]*/task/[0-9]*/stat"):
        try:
            stat = stat_path.read_text()
        except OSError:
            continue  # ended between listing and reading
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        tid = stat_path.parent.name
        if state in "RD" and parent != "2" and tid != "2":
            active.add(tid)
    return active


def _own_cgroup(controller: str) -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


@dataclass
class LoadMonitor:
    """Runs this process (and all it starts from now on) in its own cpuacct cgroup and samples the load.

    Processes started before entering stay where they were: start the servers inside the monitor.
    """

    interval: float = 1.0
    _cgroup: Path | None = None
    _previous: Path | None = None
    _problem: str = ""
    _loadavg: list[float] = field(default_factory=list)
    _background: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _start: tuple[float, float, int] = (0.0, 0.0, 0)
    _end: tuple[float, float, int] = (0.0, 0.0, 0)

    def __enter__(self) -> LoadMonitor:
        try:
            cgroup = CPUACCT_ROOT / f"benchmark-{os.getpid()}-{time.monotonic_ns()}"
            cgroup.mkdir()
            self._previous = CPUACCT_ROOT / _own_cgroup("cpuacct").lstrip("/")
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
            self._cgroup = cgroup
        except OSError as error:
            self._problem = (
                f"no cpuacct cgroup of its own ({error}); run as root with cgroup v1's cpuacct mounted at "
                f"{CPUACCT_ROOT}, so other processes' load can be told from the benchmark's"
            )
        self._start = self._counters()
        self._sample()
        self._thread = threading.Thread(target=self._run, name="load-monitor", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._end = self._counters()
        if self._cgroup is not None and self._previous is not None:
            (self._previous / "cgroup.procs").write_text(str(os.getpid()))
            self._release()

    def _release(self) -> None:
        """Hand leftover tasks (none when every server was stopped) back and remove the cgroup."""
        assert self._cgroup is not None and self._previous is not None
        for pid in (self._cgroup / "cgroup.procs").read_text().split():
            try:
                (self._previous / "cgroup.procs").write_text(pid)
            except OSError:
                continue
        with contextlib.suppress(OSError):  # busy only if a task could not be moved: leave it be
            self._cgroup.rmdir()

    def _counters(self) -> tuple[float, float, int]:
        own_ns = int((self._cgroup / "cpuacct.usage").read_text()) if self._cgroup else 0
        return time.monotonic(), _busy_seconds(), own_ns

    def _sample(self) -> None:
        self._loadavg.append(float(Path("/proc/loadavg").read_text().split()[0]))
        if self._cgroup is not None:
            tasks = self._cgroup / "tasks"
            before = set(tasks.read_text().split())
            active = _active_user_threads()
            own = before | set(tasks.read_text().split())  # and the ones it started meanwhile
            self._background.append(len(active - own))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def result(self) -> Load:
        cores = os.cpu_count() or 1
        wall = max(self._end[0] - self._start[0], 1e-9)
        if self._cgroup is None:
            return Load(cores, wall, Spread.of(self._loadavg), None, None, None, None, self._problem)
        busy = self._end[1] - self._start[1]
        own = (self._end[2] - self._start[2]) / 1e9
        return Load(
            cores=cores,
            seconds=wall,
            loadavg_1min=Spread.of(self._loadavg),
            background_load=Spread.of(self._background),
            background_mean=statistics.mean(self._background),
            others_cpu_cores=max(busy - own, 0.0) / wall,
            own_cpu_cores=own / wall,
        )


def command_line(argv: list[str] | None = None) -> str:
    """The command as a user types it: `python -m benchmarks.NAME ARGS` for a module run."""
    argv = list(sys.argv if argv is None else argv)
    main_module = getattr(sys.modules.get("__main__"), "__spec__", None)
    head = ["python", "-m", main_module.name] if main_module is not None else ["python", argv[0]]
    return shlex.join([*head, *argv[1:]])


@dataclass(frozen=True)
class Provenance:
    command: str
    machine: Machine
    date: str
    load: Load

    @classmethod
    def of(cls, load: Load, command: str | None = None) -> Provenance:
        now = datetime.datetime.now(datetime.UTC)
        return cls(
            command=command or command_line(),
            machine=Machine.current(),
            date=now.strftime("%Y-%m-%d %H:%M UTC"),
            load=load,
        )

    @property
    def quotable(self) -> bool:
        return self.load.quotable

    def text(self) -> str:
        return "\n".join(
            [
                f"command: {self.command}",
                f"machine: {self.machine.text()}",
                f"date: {self.date}",
                f"load: {self.load.text()}",
            ]
        )
