"""Database benchmarks on the rendered configuration, reported as ratios measured in the same run.

1. pgbench, tuned postgresql.conf vs PostgreSQL/Debian defaults, on the server size it is tuned for:
   the stack's database server type (its RAM from the catalog) is the memory limit of a cgroup the
   database server runs in, the data (pgbench scale) is larger than Debian's default shared_buffers
   (128 MB) and smaller than that RAM, and the clients are as many as the app opens (web tier at its
   most replicas, workers and scheduled jobs, one connection pool each). Read-only, mixed (90 % reads)
   and read-write runs, in alternating rounds (ABBA order), each ratio the median of the per-round
   tuned/default ratios with min and max. Before measuring, the benchmark checks with SHOW on the
   running server that every tuned setting took effect.
2. Backup + restore: pgBackRest vs pg_dump/pg_restore, on the same data.
3. Data actually lost when the server is killed, with the stack's archive_timeout.

    python -m benchmarks.postgres_dr [--stack dev] [--rounds 5] [--seconds 30] [--publish]
    python -m benchmarks.postgres_dr --ablation [--publish]   # which tuned settings matter
    python -m benchmarks.postgres_dr --quick                  # smoke test: tiny, not for figures

Every run ends with its provenance (benchmarks/provenance.py): command, machine, date and the load
other processes put on the machine, with the verdict whether the figures may be quoted; `--publish`
writes them to benchmarks/figures/ and the README/docs blocks (refused when not quotable).
Needs root (cgroups; PostgreSQL then runs as the `postgres` OS user, see tests/postgres/pg_host.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from components.config.catalog import SERVER_TYPES, ServerType
from components.config.stack import StackConfig
from components.postgres.render import DatabaseSpec, postgresql_conf
from components.postgres.tuning import tuned_settings
from tests.postgres.pg_host import PgHost

from . import figures
from .figures import Figure
from .memory_cgroup import MemoryCgroup
from .provenance import LoadMonitor, Provenance, Spread

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SHARED_BUFFERS_BYTES = 128 * 1024**2  # PostgreSQL's and Debian's default
POOL_PER_PROCESS = 10
"""Connections each app process opens: the default pool size of node-postgres, postgres.js and Bun's SQL."""
RESERVED_CONNECTIONS = 10
"""Left free of max_connections: superuser_reserved_connections (3), pgBackRest, monitoring, psql."""
WORKLOADS: dict[str, list[str]] = {
    "read-only": ["-b", "select-only"],
    "mixed": ["-b", "select-only@9", "-b", "tpcb-like@1"],
    "read-write": ["-b", "tpcb-like"],
}
HUGE_PAGES_RESERVED = "huge pages reserved (bootstrap.sh)"
NR_HUGEPAGES = Path("/proc/sys/vm/nr_hugepages")
INPUTS = [
    "benchmarks/postgres_dr.py",
    "components/postgres/tuning.py",
    "components/postgres/files/postgresql.conf",
]


@dataclass(frozen=True)
class Target:
    """The server the configuration is tuned for, and the app that uses it, from a stack file."""

    stack: str
    server_type: ServerType
    clients: int
    max_connections: int
    archive_timeout: int

    @classmethod
    def of(cls, stack: str) -> Target:
        raw = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
        values = {key.split(":", 1)[1]: value for key, value in raw.items() if key.startswith("platform:")}
        config = StackConfig.model_validate(values)
        processes = (config.app.web.max_replicas if config.app else 0) + sum(
            w.replicas for w in config.workloads.workers
        )
        processes += len(config.workloads.cron_jobs)
        clients = min(
            max(processes, 1) * POOL_PER_PROCESS, config.postgres.max_connections - RESERVED_CONNECTIONS
        )
        return cls(
            stack,
            SERVER_TYPES[config.postgres.server_type],
            clients,
            config.postgres.max_connections,
            config.postgres.archive_timeout_seconds,
        )

    @property
    def ram_bytes(self) -> int:
        return self.server_type.memory_gib * 1024**3


QUICK_CLIENTS = 4


@dataclass(frozen=True)
class Plan:
    """How long and how large one run is."""

    scale: int
    rounds: int
    seconds: int
    warmup: int
    dr_rounds: int
    heartbeat: int
    ablation_rounds: int
    ablation_seconds: int
    quick: bool


class Server:
    """The benchmark's database host: PgHost, its server always started inside the memory cgroup."""

    def __init__(self, host: PgHost, memory: MemoryCgroup, clients: int) -> None:
        self.host = host
        self.memory = memory
        self.clients = clients
        self.conf = Path(host.layout.conf_dir, "postgresql.conf")
        self.huge_pages = 0
        """Huge pages reserved for the tuned server, as bootstrap.sh does on the VM."""

    def sock(self) -> list[str]:
        return ["-h", self.host.layout.socket_directory, "-p", str(self.host.layout.port)]

    def restart(self, settings: dict[str, str], reserve: bool = True) -> dict[str, str]:
        """Restart with these tuned settings (none: PostgreSQL's defaults) and, when they ask for huge
        pages and `reserve`, huge pages reserved as the VM's bootstrap.sh reserves them (Debian's
        defaults reserve none). Returns what SHOW prints for every tuned key."""
        self.host.stop()
        self.conf.write_text(postgresql_conf(self.host.layout, self.spec(settings)))
        pages = 0
        if reserve and settings.get("huge_pages", "off") != "off":
            command = [self.host.bin("postgres"), "-D", self.host.layout.conf_dir, "-C"]
            pages = int(self.host.run([*command, "shared_memory_size_in_huge_pages"]).stdout)
        NR_HUGEPAGES.write_text(str(pages))
        # Huge pages are not charged to the memory cgroup: the rest of the RAM is its limit.
        huge_bytes = int(NR_HUGEPAGES.read_text()) * _meminfo("Hugepagesize") * 1024
        self.memory.limit(self.memory.limit_bytes - huge_bytes)
        if pages:
            self.huge_pages = int(NR_HUGEPAGES.read_text())
        with self.memory.entered():
            self.host.start()
        return self.show(self.host.spec.tuned_settings)

    @staticmethod
    def on_huge_pages() -> bool:
        """Whether the server's shared memory is on huge pages (reserved or faulted in)."""
        return _meminfo("HugePages_Total") - _meminfo("HugePages_Free") + _meminfo("HugePages_Rsvd") > 0

    def spec(self, settings: dict[str, str]) -> DatabaseSpec:
        return dataclasses.replace(self.host.spec, tuned_settings=settings)

    def show(self, keys: dict[str, str]) -> dict[str, str]:
        names = ",".join(f"'{key}'" for key in keys)
        rows = self.host.psql(f"select name, current_setting(name) from pg_settings where name in ({names})")
        return dict(line.split("|", 1) for line in rows.splitlines())

    def prewarm(self, warmup: int) -> None:
        """Steady state for both configurations alike: the data into shared_buffers as far as it fits,
        then a short read-only run (discarded)."""
        self.host.psql(
            "select pg_prewarm(c.oid::regclass) from pg_class c "
            "where c.relname like 'pgbench_%' and c.relkind in ('r', 'i')",
            db="bench",
        )
        if warmup:
            self.pgbench("read-only", warmup)

    def pgbench(self, workload: str, seconds: int) -> float:
        jobs = min(self.clients, os.cpu_count() or 1)
        args = ["pgbench", *self.sock(), "-c", str(self.clients), "-j", str(jobs), "-T", str(seconds)]
        out = self.host.run([*args, *WORKLOADS[workload], "bench"]).stdout
        match = re.search(r"tps = ([0-9.]+)", out)
        if not match:
            raise AssertionError(f"pgbench printed no tps:\n{out}")
        return float(match.group(1))


def _meminfo(key: str) -> int:
    line = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith(f"{key}:"))
    return int(line.split()[1])


def not_applied(expected: dict[str, str], shown: dict[str, str]) -> list[str]:
    """Tuned settings the running server does not show as rendered (SHOW prints units the way the
    renderer writes them: whole GB or MB, else kB)."""
    return [
        f"{key}: rendered {value!r}, server shows {shown.get(key)!r}"
        for key, value in expected.items()
        if shown.get(key) != value
    ]


def check_tuned(server: Server, tuned: dict[str, str], shown: dict[str, str]) -> None:
    """Stop unless the running server runs what was rendered, huge pages included."""
    problems = not_applied(tuned, shown)
    if tuned.get("huge_pages", "off") != "off" and not server.on_huge_pages():
        problems.append(
            f"huge_pages = {tuned['huge_pages']}, but the shared memory is on 4 kB pages (vm.nr_hugepages "
            f"{NR_HUGEPAGES.read_text().strip()}: the kernel could not reserve enough)"
        )
    if problems:
        raise SystemExit("tuned settings not in effect on the running server:\n  " + "\n  ".join(problems))


def alternating(rounds: int) -> Iterator[tuple[int, tuple[str, str]]]:
    """ABBA: default first in even rounds, tuned first in odd ones, so drift (bloat from the write
    runs, other load) falls on both sides."""
    for index in range(rounds):
        yield index, (("default", "tuned") if index % 2 == 0 else ("tuned", "default"))


def tps_tuned_vs_default(server: Server, plan: Plan) -> dict[str, Spread]:
    tuned = server.host.spec.tuned_settings
    tps: dict[tuple[str, str], list[float]] = {}
    for index, order in alternating(plan.rounds):
        for label in order:
            shown = server.restart(tuned if label == "tuned" else {})
            if label == "tuned":
                check_tuned(server, tuned, shown)
            server.prewarm(plan.warmup)
            for workload in WORKLOADS:
                tps.setdefault((label, workload), []).append(server.pgbench(workload, plan.seconds))
        row = ", ".join(f"{w} {tps['default', w][-1]:.0f} -> {tps['tuned', w][-1]:.0f}" for w in WORKLOADS)
        print(f"round {index + 1}/{plan.rounds} tps default -> tuned: {row}", flush=True)
    server.restart(tuned)
    return {
        workload: Spread.of(
            t / d for t, d in zip(tps["tuned", workload], tps["default", workload], strict=True)
        )
        for workload in WORKLOADS
    }


def ablation(server: Server, plan: Plan) -> dict[str, Spread]:
    """Mixed-run tps with one tuned setting reverted to PostgreSQL's default, over tps with all tuned
    (the mean of the round's first and last tuned runs): below 1 the setting helps, above it hurts.
    Settings whose default takes the same effective value on this server are left out."""
    tuned = server.host.spec.tuned_settings
    on_tuned = server.restart(tuned)
    on_default = server.restart({})
    changed = [key for key in tuned if on_default.get(key) != on_tuned.get(key)]
    print(f"same as the default on this server, not measured: {sorted(set(tuned) - set(changed))}")
    reverted: dict[str, tuple[dict[str, str], bool]] = {}
    for key in changed:
        settings = {k: v for k, v in tuned.items() if k != key}
        if server.restart(settings) == on_tuned:
            print(f"{key}: reverting it leaves every value as tuned (derived default), not measured")
        else:
            reverted[key] = (settings, True)
    if tuned.get("huge_pages", "off") != "off":
        reverted[HUGE_PAGES_RESERVED] = (tuned, False)
    ratios: dict[str, list[float]] = {key: [] for key in reverted}

    def run(settings: dict[str, str], reserve: bool = True) -> float:
        server.restart(settings, reserve)
        server.prewarm(plan.warmup)
        return server.pgbench("mixed", plan.ablation_seconds)

    for index in range(plan.ablation_rounds):
        keys = list(reverted) if index % 2 == 0 else list(reversed(reverted))
        first = run(tuned)
        measured = {key: run(*reverted[key]) for key in keys}
        base = (first + run(tuned)) / 2
        for key, value in measured.items():
            ratios[key].append(value / base)
        print(f"ablation round {index + 1}: " + ", ".join(f"{k} {v / base:.2f}" for k, v in measured.items()))
    server.restart(tuned)
    return {key: Spread.of(values) for key, values in ratios.items()}


def _timed(action: Callable[[], object]) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def backup_restore_vs_dump(server: Server, rounds: int) -> dict[str, Spread]:
    host, sock = server.host, server.sock()
    dump_dir = host.base / "dump"
    restore_ratio, backup_ratio = [], []
    for _ in range(rounds):
        backup_s = _timed(lambda: host.pgbackrest("--type=full", "backup"))
        # Restore = pgBackRest restore into a new data directory + recovery until promoted (the drill's
        # restore and recovery phases, without its amcheck).
        drill = host.script("restore-drill.sh", "--keep").stdout
        host.script("restore-drill.sh", "--cleanup")
        restore_s = _drill_seconds(drill, "restore") + _drill_seconds(drill, r"recovery\+promote")
        dump_s = _timed(lambda: host.run(["pg_dump", *sock, "-Fd", "-j2", "-f", str(dump_dir), "bench"]))
        host.run(["createdb", *sock, "bench_restored"])
        pg_restore_s = _timed(
            lambda: host.run(["pg_restore", *sock, "-j2", "-d", "bench_restored", str(dump_dir)])
        )
        host.run(["dropdb", *sock, "bench_restored"])
        host.run(["rm", "-rf", str(dump_dir)])
        restore_ratio.append(pg_restore_s / restore_s)
        backup_ratio.append(dump_s / backup_s)
        print(
            f"backup {backup_s:.1f} s vs pg_dump {dump_s:.1f} s; restore {restore_s:.1f} s vs pg_restore "
            f"{pg_restore_s:.1f} s",
            flush=True,
        )
    return {"restore": Spread.of(restore_ratio), "backup": Spread.of(backup_ratio)}


def _drill_seconds(output: str, phase: str) -> float:
    match = re.search(rf"{phase}=([0-9.]+)s", output)
    if not match:
        raise AssertionError(f"restore-drill.sh printed no {phase} time:\n{output}")
    return float(match.group(1))


def data_loss_after_crash(server: Server, heartbeat_seconds: int) -> float:
    """Seconds of commits lost: one row a second (a quiet database, the worst case for archive
    latency), then SIGKILL, then a restore of the newest backup and the archived WAL. When no row
    reached the archive, everything since the table was archived is lost."""
    host = server.host
    host.psql("create table heartbeat(ts timestamptz default clock_timestamp())", db="bench")
    host.wait_archived()
    archived_at = float(host.psql("select extract(epoch from clock_timestamp())"))
    for _ in range(heartbeat_seconds):
        host.psql("insert into heartbeat default values", db="bench")
        time.sleep(1)
    last_written = float(host.psql("select extract(epoch from max(ts)) from heartbeat", db="bench"))
    host.kill()
    host.script("restore-drill.sh", "--keep")
    try:
        restored = host.psql(
            "select extract(epoch from max(ts)) from heartbeat",
            db="bench",
            port=host.layout.drill_port,
            socket_dir=host.layout.drill_socket_directory,
        )
    finally:
        host.script("restore-drill.sh", "--cleanup")
    return last_written - (float(restored) if restored else archived_at)


@contextmanager
def serving(target: Target, plan: Plan) -> Iterator[Server]:
    """The host with the target's settings, its server in the memory cgroup, loaded with pgbench data."""
    memory = MemoryCgroup.create("postgres", target.ram_bytes)
    huge_pages_before = NR_HUGEPAGES.read_text()
    try:
        with ExitStack() as stack:
            with memory.entered():  # the server starts (and stays) inside; this process steps out after
                host = stack.enter_context(PgHost.serving())
            host.spec = dataclasses.replace(
                host.spec,
                tuned_settings=tuned_settings(target.server_type, target.max_connections),
                max_connections=target.max_connections,
                archive_timeout=target.archive_timeout,
            )
            # The smoke run keeps a few clients: sixty connecting on a busy machine can outlast its
            # one-second runs, and pgbench then reports no transactions at all.
            server = Server(host, memory, QUICK_CLIENTS if plan.quick else target.clients)
            server.restart(host.spec.tuned_settings)
            _load(server, plan, target)
            yield server
    finally:
        NR_HUGEPAGES.write_text(huge_pages_before)  # the server is gone: its huge pages are free
        memory.remove()


def _load(server: Server, plan: Plan, target: Target) -> None:
    host = server.host
    host.run(["createdb", *server.sock(), "bench"])
    host.run(["pgbench", *server.sock(), "-i", "-q", "-I", "dtGvp", "-s", str(plan.scale), "bench"])
    host.psql("create extension pg_prewarm", db="bench")
    size = int(host.psql("select pg_database_size('bench')"))
    print(f"data: pgbench scale {plan.scale}, {size / 1024**2:.0f} MiB; {server.clients} clients", flush=True)
    if not plan.quick and not DEFAULT_SHARED_BUFFERS_BYTES < size < target.ram_bytes:
        raise SystemExit(
            f"the working set ({size / 1024**2:.0f} MiB) must exceed the default shared_buffers (128 MB) "
            f"and stay below the target's RAM ({target.server_type.memory_gib} GB): choose another --scale"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", default="dev", help="stack file whose database server and app to model")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=30, help="per pgbench run")
    parser.add_argument("--scale", type=int, help="pgbench scale (default: about 1.5 GB for an 8 GB server)")
    parser.add_argument("--dr-rounds", type=int, default=2, help="backup/restore repetitions")
    parser.add_argument("--heartbeat", type=int, help="seconds of heartbeat rows before the crash")
    parser.add_argument("--ablation", action="store_true", help="revert each tuned setting in turn instead")
    parser.add_argument("--ablation-rounds", type=int, default=2)
    parser.add_argument("--ablation-seconds", type=int, default=12)
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny and short, never published")
    parser.add_argument("--publish", action="store_true", help="write benchmarks/figures/ and the doc blocks")
    options = parser.parse_args(argv)
    if options.quick and options.publish:
        parser.error("--quick runs are a smoke test; they are never published")
    target = Target.of(options.stack)
    plan = _plan(options, target)
    run(target, plan, options.ablation, options.publish)


def _plan(options: argparse.Namespace, target: Target) -> Plan:
    if options.quick:
        return Plan(1, 1, 2, 0, 1, 2, 1, 2, quick=True)
    # pgbench: about 15 MiB per scale unit; aim at 3/16 of the server's RAM (1.5 GiB for 8 GiB):
    # well above the default shared_buffers, within the tuned shared_buffers (RAM / 4).
    scale = options.scale or target.ram_bytes * 3 // 16 // (15 * 1024**2)
    return Plan(
        scale=scale,
        rounds=options.rounds,
        seconds=options.seconds,
        warmup=5,
        dr_rounds=options.dr_rounds,
        heartbeat=options.heartbeat or target.archive_timeout + 30,
        ablation_rounds=options.ablation_rounds,
        ablation_seconds=options.ablation_seconds,
        quick=False,
    )


def run(target: Target, plan: Plan, ablate: bool, publish: bool) -> None:
    with LoadMonitor() as monitor, serving(target, plan) as server:
        if ablate:
            results = ablation(server, plan)
        else:
            ratios = tps_tuned_vs_default(server, plan)
            dr = backup_restore_vs_dump(server, plan.dr_rounds)
            loss = data_loss_after_crash(server, plan.heartbeat)
        peak, hits = server.memory.peak_bytes(), server.memory.limit_hits()
    provenance = Provenance.of(monitor.result())
    setup = (
        f"Stack {target.stack}: database server {target.server_type.name} ({target.server_type.vcpus} vCPU, "
        f"{target.server_type.memory_gib} GB: the server's memory cgroup limit, peak "
        f"{peak / 1024**3:.1f} GiB, limit reached {hits} times; tuned: {server.huge_pages} huge pages), "
        f"pgbench scale {plan.scale}, "
        f"{target.clients} clients"
    )
    if ablate:
        table = [Figure(f"mixed tps without `{key}` / all tuned", spread) for key, spread in results.items()]
        notes = (
            f"{setup}, {plan.ablation_rounds} rounds of {plan.ablation_seconds} s mixed runs. Below 1: "
            "the setting helps; a range spanning 1: no measurable effect."
        )
        name = "postgres_ablation"
    else:
        table = [
            *(
                Figure(f"pgbench {workload}, tuned / defaults (tps)", ratios[workload], "x")
                for workload in WORKLOADS
            ),
            Figure("restore: pg_restore time / pgBackRest restore + recovery", dr["restore"], "x"),
            Figure("backup: pg_dump time / pgBackRest full backup", dr["backup"], "x"),
            Figure(
                f"commits lost after SIGKILL, archive_timeout {target.archive_timeout} s",
                Spread.of([loss]),
                " s",
                1,
            ),
        ]
        notes = (
            f"{setup}, {plan.rounds} alternating rounds of {plan.seconds} s per workload; backup/restore "
            f"{plan.dr_rounds} rounds; crash after {plan.heartbeat} s of one commit a second."
        )
        name = "postgres_dr"
    print()
    for figure in table:
        print(f"{figure.label}: {figure.spread.text(figure.unit, figure.digits)}")
    print(notes)
    print(provenance.text())
    if publish:
        path = figures.save(name, table, provenance, INPUTS, notes)
        print(f"published: {path.relative_to(PROJECT_DIR)} and the blocks figures:{name}")


if __name__ == "__main__":
    main()
