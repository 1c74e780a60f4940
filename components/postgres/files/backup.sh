#!/usr/bin/env bash
# Takes a pgBackRest backup (full, diff or incr) of the database, then refreshes the backup metrics
# so a failure shows up in monitoring. Run as the postgres user by pgbackrest-backup@<type>.service.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
# shellcheck source=/dev/null
. "${PLATFORM_POSTGRES_ENV:-$here/postgres.env}"

type=${1:-}
case "$type" in
  full | diff | incr) ;;
  *)
    echo "usage: backup.sh full|diff|incr (got '${type}')" >&2
    exit 2
    ;;
esac

status=0
pgbackrest --config-path="$PGBACKREST_CONFIG_PATH" --stanza="$PGBACKREST_STANZA" --type="$type" backup || status=$?
"$here/metrics.sh" || echo "backup.sh: metrics.sh failed; the metrics-stale alert will tell" >&2
exit "$status"
