#!/usr/bin/env bash
# Writes the database's backup and WAL-archiving state for node-exporter's textfile collector:
# the age of the last good backup (per type) from `pgbackrest info`, and pg_stat_archiver counters.
# The file is replaced atomically, so node-exporter never reads half of it.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=/dev/null
. "${PLATFORM_POSTGRES_ENV:-$here/postgres.env}"

out="$TEXTFILE_DIR/postgres_backup.prom"
tmp=$(mktemp "$TEXTFILE_DIR/.postgres_backup.prom.XXXXXX")
trap 'rm -f "$tmp"' EXIT
stanza=$PGBACKREST_STANZA

info=$(pgbackrest --config-path="$PGBACKREST_CONFIG_PATH" --stanza="$stanza" --output=json info 2>/dev/null || echo '[]')

{
  echo "# HELP pgbackrest_last_backup_timestamp_seconds Completion time of the newest good backup of each type (0: none)."
  echo "# TYPE pgbackrest_last_backup_timestamp_seconds gauge"
  for type in full diff incr; do
    stop=$(jq -r --arg t "$type" \
      '[.[0].backup // [] | .[] | select(.type == $t and (.error // false) == false) | .timestamp.stop] | max // 0' \
      <<<"$info")
    echo "pgbackrest_last_backup_timestamp_seconds{stanza=\"$stanza\",type=\"$type\"} $stop"
  done
  echo "# HELP pgbackrest_last_good_backup_timestamp_seconds Completion time of the newest good backup of any type (0: none)."
  echo "# TYPE pgbackrest_last_good_backup_timestamp_seconds gauge"
  echo "pgbackrest_last_good_backup_timestamp_seconds{stanza=\"$stanza\"} $(jq -r \
    '[.[0].backup // [] | .[] | select((.error // false) == false) | .timestamp.stop] | max // 0' <<<"$info")"
  echo "# HELP pgbackrest_stanza_status pgBackRest stanza status code (0 ok; 99 when the repository is unreadable)."
  echo "# TYPE pgbackrest_stanza_status gauge"
  echo "pgbackrest_stanza_status{stanza=\"$stanza\"} $(jq -r '.[0].status.code // 99' <<<"$info")"

  archiver=$(psql -X -A -t -F ' ' -h "$PG_SOCKET_DIR" -p "$PG_PORT" -d postgres -c \
    "select archived_count, failed_count,
            coalesce(extract(epoch from last_archived_time), 0)::bigint,
            coalesce(extract(epoch from last_failed_time), 0)::bigint
       from pg_stat_archiver" 2>/dev/null || true)
  echo "# HELP postgres_up Whether the metrics script could query PostgreSQL."
  echo "# TYPE postgres_up gauge"
  if [ -n "$archiver" ]; then
    read -r archived failed last_archived last_failed <<<"$archiver"
    echo "postgres_up 1"
    echo "# HELP postgres_archiver_archived_total WAL segments archived since the statistics reset."
    echo "# TYPE postgres_archiver_archived_total counter"
    echo "postgres_archiver_archived_total $archived"
    echo "# HELP postgres_archiver_failed_total Failed attempts to archive a WAL segment."
    echo "# TYPE postgres_archiver_failed_total counter"
    echo "postgres_archiver_failed_total $failed"
    echo "# HELP postgres_archiver_last_archived_timestamp_seconds Time of the last successful WAL archive (0: never)."
    echo "# TYPE postgres_archiver_last_archived_timestamp_seconds gauge"
    echo "postgres_archiver_last_archived_timestamp_seconds $last_archived"
    echo "# HELP postgres_archiver_last_failed_timestamp_seconds Time of the last failed WAL archive attempt (0: never)."
    echo "# TYPE postgres_archiver_last_failed_timestamp_seconds gauge"
    echo "postgres_archiver_last_failed_timestamp_seconds $last_failed"
  else
    echo "postgres_up 0"
  fi
  echo "# HELP postgres_backup_metrics_timestamp_seconds When this file was written."
  echo "# TYPE postgres_backup_metrics_timestamp_seconds gauge"
  echo "postgres_backup_metrics_timestamp_seconds $(date +%s)"
} >"$tmp"

chmod 0644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
