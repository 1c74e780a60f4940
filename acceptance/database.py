"""Phase 4: backups fresh enough for the RPO, and a restore drill within the RTO, on the database server.

Both run the server's own instruments over SSH (`--db-shell`): metrics.sh, which reads `pgbackrest
info` and pg_stat_archiver, and restore-drill.sh, which restores the newest backup and archived WAL
into a scratch copy, verifies it and reports how long that took and how much was lost."""

from __future__ import annotations

import re
import shlex
import subprocess
import time

from .gates import RPO_SECONDS, RTO_SECONDS, Context, GateResult, NotMeasurableError

FULL_BACKUP_MAX_AGE = 8 * 86400
"""The weekly full backup, with a day's grace."""


def _on_server(ctx: Context, script: str) -> subprocess.CompletedProcess[str]:
    if not ctx.db_shell:
        raise NotMeasurableError("no way onto the database server: pass --db-shell 'ssh root@PUBLIC_IP'")
    line = f"runuser -u postgres -- {script}"
    return subprocess.run(
        [*ctx.db_shell, line], capture_output=True, text=True, timeout=3 * 3600, check=False
    )


def _metrics(ctx: Context) -> dict[str, float]:
    scripts = shlex.quote(ctx.db_scripts)
    result = _on_server(
        ctx,
        f'bash -c \'{scripts}/metrics.sh && . "${{PLATFORM_POSTGRES_ENV:-{scripts}/postgres.env}}" '
        f'&& cat "$TEXTFILE_DIR/postgres_backup.prom"\'',
    )
    if result.returncode != 0:
        raise NotMeasurableError(f"metrics.sh failed on the database server: {result.stderr.strip()[-300:]}")
    values = {}
    for line in result.stdout.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def _age(now: float, stamp: float) -> str:
    return "never" if stamp <= 0 else f"{(now - stamp) / 3600:.1f} h ago"


def backups_fresh(ctx: Context) -> list[GateResult]:
    values = _metrics(ctx)
    now = time.time()
    full = max(
        (
            v
            for k, v in values.items()
            if k.startswith("pgbackrest_last_backup_timestamp_seconds") and 'type="full"' in k
        ),
        default=0.0,
    )
    newest = max(
        (v for k, v in values.items() if k.startswith("pgbackrest_last_good_backup_timestamp_seconds")),
        default=0.0,
    )
    wal = values.get("postgres_archiver_last_archived_timestamp_seconds", 0.0)
    hint = "journalctl -u pgbackrest-backup@full -u pgbackrest-backup@diff; pgbackrest info on the server"
    return [
        GateResult(
            "last full backup",
            _age(now, full),
            f"within {FULL_BACKUP_MAX_AGE // 86400} days",
            full > 0 and now - full <= FULL_BACKUP_MAX_AGE,
            hint,
        ),
        GateResult(
            "last backup (full or differential)",
            _age(now, newest),
            f"within RPO {RPO_SECONDS // 3600} h",
            newest > 0 and now - newest <= RPO_SECONDS,
            hint,
        ),
        GateResult(
            "newest archived WAL",
            _age(now, wal),
            f"within RPO {RPO_SECONDS // 3600} h",
            wal > 0 and now - wal <= RPO_SECONDS,
            "archive_command failing: pg_stat_archiver.last_failed_wal and the PostgreSQL log",
        ),
    ]


_DRILL = re.compile(r"restore=([\d.]+)s recovery\+promote=([\d.]+)s verify\(amcheck\)=([\d.]+)s")
_LOSS = re.compile(r"data_loss=([\d.]+)s")


def restore_drill(ctx: Context) -> list[GateResult]:
    ctx.progress("restore drill on the database server (restores into a scratch copy; can take long)")
    result = _on_server(ctx, f"{shlex.quote(ctx.db_scripts)}/restore-drill.sh")
    hint = "the drill's log above the summary line says which step failed; docs/postgres.md, 'Restore'"
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
        return [GateResult("restore drill", "failed: " + " | ".join(tail), "passes", False, hint)]
    timing, loss = _DRILL.search(result.stdout), _LOSS.search(result.stdout)
    if timing is None:
        raise NotMeasurableError(
            "the drill did not print its summary line (restore=…s recovery+promote=…s …)"
        )
    seconds = sum(float(x) for x in timing.groups())
    lost = float(loss.group(1)) if loss else None
    return [
        GateResult(
            "restore drill: time to a verified copy",
            f"{seconds:.0f} s",
            f"within RTO {RTO_SECONDS // 3600} h",
            seconds <= RTO_SECONDS,
            hint,
        ),
        GateResult(
            "restore drill: data lost",
            "unknown" if lost is None else f"{lost:.0f} s of commits",
            f"within RPO {RPO_SECONDS // 3600} h",
            lost is not None and lost <= RPO_SECONDS,
            hint,
        ),
    ]
