"""Database benchmarks on the rendered configuration, reported as ratios measured in the same run.

1. pgbench TPS, tuned postgresql.conf vs PostgreSQL/Debian defaults (same data, alternating rounds).
2. Backup + restore of a pgbench scale-50 database: pgBackRest vs pg_dump/pg_restore.
3. Data actually lost when the server is killed, with the default archive_timeout (60 s).

    python -m benchmarks.postgres_dr [--rounds 3] [--seconds 15] [--heartbeat 150]

Runs as the `postgres` OS user when started as root (pg_host.PgHost). Takes several minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import time
from pathlib import Path

from components.postgres.render import postgresql_conf
from tests.postgres.pg_host import PgHost

SCALE = 50


def _timed(action) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def _pgbench(host: PgHost, seconds: int, read_only: bool) -> float:
    args = [
        "pgbench",
        "-h",
        host.layout.socket_directory,
        "-p",
        str(host.layout.port),
        "-c",
        "8",
        "-j",
        "2",
        "-T",
        str(seconds),
        *(["-S"] if read_only else []),
        "bench",
    ]
    out = host.run(args).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    assert match, out
    return float(match.group(1))


def tps_tuned_vs_default(host: PgHost, rounds: int, seconds: int) -> dict[str, float]:
    conf = Path(host.layout.conf_dir, "postgresql.conf")
    tuned = postgresql_conf(host.layout, host.spec)
    default = postgresql_conf(host.layout, dataclasses.replace(host.spec, tuned_settings={}))
    results: dict[str, list[float]] = {"default_ro": [], "tuned_ro": [], "default_rw": [], "tuned_rw": []}
    for _ in range(rounds):
        for label, text in (("default", default), ("tuned", tuned)):
            host.stop()
            conf.write_text(text)
            host.start()
            # Steady state, not the first touch of a fresh shared-memory segment: load the data into
            # shared_buffers (as far as it fits) before measuring, for both configurations alike.
            host.psql(
                "select pg_prewarm(c.oid::regclass) from pg_class c where c.relname like 'pgbench_%'",
                db="bench",
            )
            _pgbench(host, 5, read_only=True)  # warm-up, discarded
            results[f"{label}_ro"].append(_pgbench(host, seconds, read_only=True))
            host.psql("checkpoint")
            results[f"{label}_rw"].append(_pgbench(host, seconds, read_only=False))
    conf.write_text(tuned)
    host.stop()
    host.start()
    print(f"pgbench tps per round: {results}")
    # Medians of the per-round tuned/default ratios: a round disturbed by other load on the box
    # moves one pair, not the verdict.
    medians = {key: statistics.median(values) for key, values in results.items()}
    pairs = {
        kind: [t / d for t, d in zip(results[f"tuned_{kind}"], results[f"default_{kind}"], strict=True)]
        for kind in ("ro", "rw")
    }
    return {
        **medians,
        "ratio_ro_median_of_pairs": statistics.median(pairs["ro"]),
        "ratio_rw_median_of_pairs": statistics.median(pairs["rw"]),
    }


def backup_restore_vs_dump(host: PgHost) -> dict[str, float]:
    dump_dir = host.base / "dump"
    backup_s = _timed(lambda: host.pgbackrest("--type=full", "backup"))
    # Restore = pgBackRest restore into a new data directory + recovery until promoted (the drill's
    # restore and recovery phases, without its amcheck).
    drill = host.script("restore-drill.sh", "--keep").stdout
    host.script("restore-drill.sh", "--cleanup")
    restore_s = float(re.search(r"restore=([0-9.]+)s", drill).group(1))  # type: ignore[union-attr]
    recovery_s = float(re.search(r"recovery\+promote=([0-9.]+)s", drill).group(1))  # type: ignore[union-attr]
    sock = ["-h", host.layout.socket_directory, "-p", str(host.layout.port)]
    dump_s = _timed(lambda: host.run(["pg_dump", *sock, "-Fd", "-j2", "-f", str(dump_dir), "bench"]))
    host.run(["createdb", *sock, "bench_restored"])
    pg_restore_s = _timed(
        lambda: host.run(["pg_restore", *sock, "-j2", "-d", "bench_restored", str(dump_dir)])
    )
    host.run(["dropdb", *sock, "bench_restored"])
    host.run(["rm", "-rf", str(dump_dir)])
    return {
        "pgbackrest_backup_s": backup_s,
        "pgbackrest_restore_s": restore_s + recovery_s,
        "pg_dump_s": dump_s,
        "pg_restore_s": pg_restore_s,
        "ratio_restore_dump_over_pgbackrest": pg_restore_s / (restore_s + recovery_s),
        "ratio_backup_dump_over_pgbackrest": dump_s / backup_s,
    }


def data_loss_after_crash(host: PgHost, heartbeat_seconds: int) -> dict[str, float]:
    """One row a second (a quiet database: the worst case for archive latency), then SIGKILL."""
    host.psql("create table heartbeat(ts timestamptz default clock_timestamp())", db="bench")
    host.wait_archived()
    for _ in range(heartbeat_seconds):
        host.psql("insert into heartbeat default values", db="bench")
        time.sleep(1)
    last_written = float(host.psql("select extract(epoch from max(ts)) from heartbeat", db="bench"))
    host.kill()
    host.script("restore-drill.sh", "--keep")
    try:
        restored = float(
            host.psql(
                "select extract(epoch from max(ts)) from heartbeat",
                db="bench",
                port=host.layout.drill_port,
                socket_dir=host.layout.drill_socket_directory,
            )
        )
    finally:
        host.script("restore-drill.sh", "--cleanup")
    return {
        "archive_timeout_s": float(host.spec.archive_timeout),
        "data_loss_s": last_written - restored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--heartbeat", type=int, default=150)
    options = parser.parse_args()

    with PgHost.serving() as host:
        host.run(["createdb", "-h", host.layout.socket_directory, "-p", str(host.layout.port), "bench"])
        host.run(
            [
                "pgbench",
                "-h",
                host.layout.socket_directory,
                "-p",
                str(host.layout.port),
                "-i",
                "-q",
                "-s",
                str(SCALE),
                "bench",
            ]
        )
        host.psql("vacuum analyze", db="bench")
        host.psql("create extension pg_prewarm", db="bench")
        report = {
            "tps": tps_tuned_vs_default(host, options.rounds, options.seconds),
            "backup_restore": backup_restore_vs_dump(host),
            "crash": data_loss_after_crash(host, options.heartbeat),
        }
    for section, values in report.items():
        print(section)
        for key, value in values.items():
            print(f"  {key:40s} {value:10.2f}")


if __name__ == "__main__":
    main()
