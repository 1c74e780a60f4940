#!/usr/bin/env bash
# Restore drill: restores the newest backup plus archived WAL (or a point in time) from the
# pgBackRest repository into a scratch data directory, starts it on a spare port with the primary's
# own settings (so max_connections and friends are at least as large as the primary's), checks it
# (sanity queries, pg_amcheck), reports restore time and data loss, writes metrics and cleans up.
#
#   restore-drill.sh                      newest backup + all archived WAL
#   restore-drill.sh --target 'TIME'      point in time, e.g. '2026-11-26 05:46:24+00'
#   restore-drill.sh --keep ...           leave the restored copy running to inspect or copy data out
#   restore-drill.sh --cleanup            stop and remove a copy left by --keep
#
# Run as the postgres user. The copy never archives (archive_mode=off), so it cannot write into the
# production repository, and it listens on a private socket only.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=/dev/null
. "${PLATFORM_POSTGRES_ENV:-$here/postgres.env}"

target=""
keep=0
cleanup_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target)
      target=${2:?--target needs a time such as '2026-11-26 05:46:24+00'}
      shift 2
      ;;
    --keep)
      keep=1
      shift
      ;;
    --cleanup)
      cleanup_only=1
      shift
      ;;
    *)
      echo "restore-drill.sh: unknown argument '$1' (use --target TIME, --keep or --cleanup)" >&2
      exit 2
      ;;
  esac
done

case "$DRILL_DIR" in
  "" | / | "$PGDATA" | "$PGDATA"/*)
    echo "restore-drill.sh: refusing DRILL_DIR='$DRILL_DIR': it must be a scratch directory, not the primary's" >&2
    exit 2
    ;;
esac

log() { printf '%s restore-drill: %s\n' "$(date -u +%FT%TZ)" "$*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
drill_sql() { psql -X -A -t -h "$DRILL_SOCKET_DIR" -p "$DRILL_PORT" -d "${2:-postgres}" -c "$1"; }

stop_copy() {
  if [ -f "$DRILL_DIR/postmaster.pid" ]; then
    "$PG_BINDIR/pg_ctl" -D "$DRILL_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

remove_copy() {
  stop_copy
  rm -rf "$DRILL_DIR"
}

if [ "$cleanup_only" = 1 ]; then
  remove_copy
  log "removed the restored copy in $DRILL_DIR"
  exit 0
fi

write_metrics() {
  local ok=$1 tmp
  [ -d "$TEXTFILE_DIR" ] || return 0
  tmp=$(mktemp "$TEXTFILE_DIR/.postgres_restore_drill.prom.XXXXXX")
  {
    echo "# HELP postgres_restore_drill_success Whether the last restore drill restored, promoted and verified the copy."
    echo "# TYPE postgres_restore_drill_success gauge"
    echo "postgres_restore_drill_success $ok"
    echo "# HELP postgres_restore_drill_timestamp_seconds When the last restore drill finished."
    echo "# TYPE postgres_restore_drill_timestamp_seconds gauge"
    echo "postgres_restore_drill_timestamp_seconds $(date +%s)"
    if [ "$ok" = 1 ]; then
      echo "# HELP postgres_restore_drill_duration_seconds Time of each phase of the last successful drill."
      echo "# TYPE postgres_restore_drill_duration_seconds gauge"
      echo "postgres_restore_drill_duration_seconds{phase=\"restore\"} $restore_s"
      echo "postgres_restore_drill_duration_seconds{phase=\"recovery\"} $recovery_s"
      echo "postgres_restore_drill_duration_seconds{phase=\"verify\"} $verify_s"
      echo "# HELP postgres_restore_drill_data_loss_seconds Newest commit on the primary minus newest commit restored (-1: unknown)."
      echo "# TYPE postgres_restore_drill_data_loss_seconds gauge"
      echo "postgres_restore_drill_data_loss_seconds ${data_loss_s:--1}"
      echo "# HELP postgres_restore_drill_last_success_timestamp_seconds When a drill last succeeded."
      echo "# TYPE postgres_restore_drill_last_success_timestamp_seconds gauge"
      echo "postgres_restore_drill_last_success_timestamp_seconds $(date +%s)"
    fi
  } >"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$TEXTFILE_DIR/postgres_restore_drill.prom"
}

finish() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    log "FAILED (exit $status); server log of the copy:"
    tail -n 30 "$DRILL_DIR/drill.log" 2>/dev/null || true
    write_metrics 0 || true
  fi
  if [ "$keep" = 1 ] && [ "$status" -eq 0 ]; then
    log "the copy keeps running: psql -h $DRILL_SOCKET_DIR -p $DRILL_PORT; remove it with restore-drill.sh --cleanup"
  else
    remove_copy
  fi
}

remove_copy
mkdir -p "$DRILL_SOCKET_DIR"
mkdir -m 0700 "$DRILL_DIR"
trap finish EXIT

# Newest commit on the primary, when it is up: what the restored copy should ideally contain.
primary_last_commit=$(psql -X -A -t -h "$PG_SOCKET_DIR" -p "$PG_PORT" -d postgres -c \
  "select extract(epoch from (pg_last_committed_xact()).timestamp)" 2>/dev/null || true)

restore_args=(--type=default)
if [ -n "$target" ]; then
  restore_args=(--type=time "--target=$target" --target-action=promote)
fi

log "restoring ${target:-the newest backup and all archived WAL} into $DRILL_DIR"
t0=$(now)
pgbackrest --config-path="$PGBACKREST_CONFIG_PATH" --stanza="$PGBACKREST_STANZA" \
  --pg1-path="$DRILL_DIR" --no-delta --archive-mode=off "${restore_args[@]}" restore
t1=$(now)

# The primary's configuration first, then what must differ for a scratch copy on the same host.
cat >"$DRILL_DIR/postgresql.conf" <<CONF
include '$PG_CONF_DIR/postgresql.conf'
data_directory = '$DRILL_DIR'
hba_file = '$DRILL_DIR/pg_hba.conf'
ident_file = '$DRILL_DIR/pg_ident.conf'
external_pid_file = ''
listen_addresses = ''
port = $DRILL_PORT
unix_socket_directories = '$DRILL_SOCKET_DIR'
cluster_name = 'restore-drill'
archive_mode = off
ssl = off
CONF
printf 'local all postgres peer\n' >"$DRILL_DIR/pg_hba.conf"
: >"$DRILL_DIR/pg_ident.conf"

"$PG_BINDIR/pg_ctl" -D "$DRILL_DIR" -l "$DRILL_DIR/drill.log" -w -t 3600 start >/dev/null
until [ "$(drill_sql 'select pg_is_in_recovery()')" = "f" ]; do
  if ! "$PG_BINDIR/pg_ctl" -D "$DRILL_DIR" status >/dev/null 2>&1; then
    log "the restored copy stopped during recovery"
    exit 1
  fi
  sleep 0.2
done
t2=$(now)

log "promoted; checking the copy"
databases=$(drill_sql "select count(*) from pg_database where datallowconn")
tables=$(drill_sql "select count(*) from pg_class where relkind in ('r', 'p')
  and relnamespace::regnamespace::text not in ('pg_catalog', 'information_schema')" "$DATABASE")
# The newest transaction replayed from WAL; with none replayed, the newest one in the backup itself.
restored_last_commit=$(drill_sql "select coalesce(extract(epoch from coalesce(pg_last_xact_replay_timestamp(),
  (pg_last_committed_xact()).timestamp))::text, '')")
"$PG_BINDIR/pg_amcheck" -h "$DRILL_SOCKET_DIR" -p "$DRILL_PORT" --all --install-missing --heapallindexed
t3=$(now)

restore_s=$(elapsed "$t0" "$t1")
recovery_s=$(elapsed "$t1" "$t2")
verify_s=$(elapsed "$t2" "$t3")
data_loss_s=""
if [ -n "$primary_last_commit" ] && [ -n "$restored_last_commit" ] && [ -z "$target" ]; then
  data_loss_s=$(awk -v p="$primary_last_commit" -v r="$restored_last_commit" \
    'BEGIN { d = p - r; printf "%.1f", (d < 0 ? 0 : d) }')
fi

log "restore=${restore_s}s recovery+promote=${recovery_s}s verify(amcheck)=${verify_s}s" \
  "databases=$databases ${DATABASE}_tables=$tables" \
  "last_restored_commit=$(date -u -d "@${restored_last_commit:-0}" +%FT%TZ)" \
  "data_loss=${data_loss_s:+${data_loss_s}s}${data_loss_s:-unknown (primary down or point-in-time target)}" \
  "amcheck=ok"
write_metrics 1
